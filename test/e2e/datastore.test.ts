// deploy/ against a real kube-apiserver, and the Kubernetes datastore running with the
// DaemonSet's ServiceAccount identity (so RBAC is what deploy/rbac.yaml grants, no more):
// - every file in deploy/ is accepted by the API server; the CRDs validate what they should;
// - the datastore lists and watches every kind, decodes objects through the manifest decoders,
//   reports unusable objects (a BGPPeer with a bad address) and keeps the rest;
// - the ServiceAccount can read exactly the watched kinds, and cannot write; of Secrets it can only
//   get one by name in its own namespace (BGPPeer passwords, src/k8s/secrets.ts);
// - an API server stop and start: the datastore reports the outage, keeps its view, and catches
//   up with what changed while it was down.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterView, type ClusterSnapshot } from '../../src/agent/view.js';
import type { DatastoreEvent } from '../../src/k8s/datastore.js';
import { KubernetesDatastore, loadKubeConfig } from '../../src/k8s/informers.js';
import { WATCHED_KINDS } from '../../src/k8s/kinds.js';
import { apiSecretReader } from '../../src/k8s/secrets.js';
import { ControlPlane } from '../harness/control-plane.js';
import { DEPLOY_FILES } from '../harness/deploy-files.js';
import { applyFiles, create, remove, tryCreate, type Doc } from '../harness/kube-apply.js';
import { waitFor } from '../harness/wait.js';


let cp: ControlPlane;
let dir: string;
let token: string;
beforeAll(async () => {
  cp = await ControlPlane.start();
  dir = mkdtempSync(join(tmpdir(), 'mrd-ds-'));
  await applyFiles(cp, DEPLOY_FILES);
  token = await cp.serviceAccountToken('kube-system', 'meridian');
}, 180_000);
afterAll(async () => {
  await cp?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

const peer = (name: string, spec: Record<string, unknown>): Doc => ({ apiVersion: 'meridian.io/v1', kind: 'BGPPeer', metadata: { name }, spec });

describe('deploy/ on a real API server', () => {
  it('CRD schemas refuse what cannot be valid', async () => {
    const bad = [
      peer('bad-as', { peerIP: '192.0.2.1', asNumber: 0 }),
      peer('bad-hold', { peerIP: '192.0.2.1', asNumber: 65000, holdTime: 2 }),
      peer('bad-mode', { peerIP: '192.0.2.1', asNumber: 65000, nextHopMode: 'sometimes' }),
      peer('keep-mode', { peerIP: '192.0.2.1', asNumber: 65000, nextHopMode: 'keep' }),
      peer('bad-both', { peerIP: '192.0.2.1', asNumber: 65000, node: 'a', nodeSelector: {} }),
      peer('no-ip', { asNumber: 65000 }),
      { apiVersion: 'meridian.io/v1', kind: 'BGPConfiguration', metadata: { name: 'bad' }, spec: { serviceClusterIPs: [{ cidr: '10.96.0.0/33' }] } } as Doc,
    ];
    for (const d of bad) expect((await tryCreate(cp, d)).status, d.metadata.name).toBe(422);
    const good = peer('tor', { peerIP: '192.0.2.254', asNumber: 65000, holdTime: 9, gracefulRestart: { restartTime: 300 }, importAllow: [{ cidr: '0.0.0.0/0' }], maxPrefix: { limit: 100, action: 'warn' } });
    expect((await tryCreate(cp, good)).status).toBe(201);
    await remove(cp, good);
  });

  it('grants the ServiceAccount exactly read access to the watched kinds', async () => {
    const paths = ['/api/v1/nodes', '/api/v1/pods', '/api/v1/namespaces', '/api/v1/services', '/apis/networking.k8s.io/v1/networkpolicies', '/apis/meridian.io/v1/bgppeers', '/apis/meridian.io/v1/bgpconfigurations'];
    await waitFor(async () => (await cp.request('GET', paths[0] as string, { token })).status === 200, { timeoutMs: 10_000, what: 'RBAC to apply' });
    for (const p of paths) {
      expect((await cp.request('GET', p, { token })).status, p).toBe(200);
      expect((await cp.request('GET', `${p}?watch=true&timeoutSeconds=1`, { token })).status, p).toBe(200);
    }
    expect((await cp.request('GET', '/api/v1/secrets', { token })).status).toBe(403);
    expect((await cp.request('GET', '/api/v1/configmaps', { token })).status).toBe(403);
    const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'forbidden' } };
    expect((await cp.request('POST', '/api/v1/nodes', { token, body: node })).status).toBe(403);
    expect((await cp.request('DELETE', '/apis/meridian.io/v1/bgppeers/x', { token })).status).toBe(403);
  });

  it('lets the ServiceAccount get a password Secret by name in its own namespace, and nothing else of Secrets', async () => {
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'bgp-passwords', namespace: 'kube-system' }, stringData: { tor: 's3cret' } } as Doc;
    const elsewhere = { ...secret, metadata: { name: 'bgp-passwords', namespace: 'default' } } as Doc;
    await create(cp, secret);
    await create(cp, elsewhere);
    try {
      const reader = apiSecretReader(loadKubeConfig(cp.writeKubeconfig(join(dir, 'sa-secrets.kubeconfig'), { token })));
      const got = await waitFor(() => reader.read('kube-system', 'bgp-passwords'), { timeoutMs: 10_000, what: 'the Secret through the Role' });
      expect(got.data['tor']?.toString()).toBe('s3cret');
      expect(await reader.read('kube-system', 'absent')).toBeUndefined();
      await expect(reader.read('default', 'bgp-passwords')).rejects.toThrow(/HTTP 403/);
      expect((await cp.request('GET', '/api/v1/namespaces/kube-system/secrets', { token })).status).toBe(403);
      expect((await cp.request('GET', '/api/v1/namespaces/kube-system/secrets?watch=true&timeoutSeconds=1', { token })).status).toBe(403);
    } finally {
      await remove(cp, secret);
      await remove(cp, elsewhere);
    }
  });
});

describe('Kubernetes datastore', () => {
  it('syncs every kind, decodes, reports bad objects, and rides out an API server restart', async () => {
    const kc = loadKubeConfig(cp.writeKubeconfig(join(dir, 'sa.kubeconfig'), { token }));
    const events: DatastoreEvent[] = [];
    const views: ClusterSnapshot[] = [];
    const view = new ClusterView({
      kinds: WATCHED_KINDS,
      debounceMs: 10,
      now: () => performance.now(),
      setTimer: (ms, fn) => {
        const t = setTimeout(fn, ms);
        return { cancel: () => clearTimeout(t) };
      },
      onView: (s) => views.push(s),
    });
    const errors: string[] = [];
    const ds = new KubernetesDatastore({ kubeconfig: kc, backoff: { initialMs: 100, maxMs: 1000, jitter: 0 }, onError: (k, e) => errors.push(`${k}: ${String(e)}`) });
    await create(cp, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, spec: { podCIDRs: ['10.244.1.0/24'] }, status: { addresses: [{ type: 'InternalIP', address: '192.0.2.1' }] } } as Doc);
    await create(cp, peer('bad-address', { peerIP: '10.0.0.300', asNumber: 65000 }));
    await create(cp, peer('good', { peerIP: '192.0.2.9', asNumber: 65000 }));
    ds.start((e) => {
      events.push(e);
      view.handle(e);
    });
    try {
      const last = () => views[views.length - 1];
      const has = (key: string) => last()?.objects.some((o) => `${o.kind}/${'namespace' in o ? o.namespace : ''}/${o.name}` === key) ?? false;
      await waitFor(() => has('Node//n1') && has('BGPPeer//good') && has('Namespace//kube-system'), { timeoutMs: 15_000, what: 'the first complete view' });
      // Nothing was delivered before every kind had synced.
      const firstSynced = events.filter((e) => e.type === 'synced').map((e) => (e.type === 'synced' ? e.kind : ''));
      expect(new Set(firstSynced)).toEqual(new Set(WATCHED_KINDS));
      expect(views[0]?.objects.length).toBeGreaterThan(0);
      expect(last()?.problems).toEqual([
        expect.objectContaining({ kind: 'BGPPeer', name: 'bad-address', key: 'BGPPeer//bad-address', reason: expect.stringContaining('not an IP address') as string }),
      ]);
      expect(has('BGPPeer//bad-address')).toBe(false);
      expect(Object.values(ds.status().kinds).every((k) => k.synced && k.connected)).toBe(true);

      // Fixing the object brings it in; deleting one takes it out.
      await cp.request('PATCH', '/apis/meridian.io/v1/bgppeers/bad-address', { body: { spec: { peerIP: '10.0.0.30' } }, contentType: 'application/merge-patch+json' });
      await waitFor(() => has('BGPPeer//bad-address') && last()?.problems.length === 0, { timeoutMs: 5000, what: 'the fixed peer in the view' });
      await remove(cp, peer('good', {}));
      await waitFor(() => !has('BGPPeer//good'), { timeoutMs: 5000, what: 'the deleted peer to leave the view' });

      // API server down: the datastore notices, keeps its view; back up: it catches up.
      const before = last();
      await cp.stopApiServer();
      await waitFor(() => Object.values(ds.status().kinds).every((k) => !k.connected), { timeoutMs: 20_000, what: 'every kind to report the outage' });
      expect(last()).toBe(before);
      expect(errors.length).toBeGreaterThan(0);
      await cp.startApiServer();
      await create(cp, peer('after', { peerIP: '192.0.2.10', asNumber: 65000 }));
      await waitFor(() => has('BGPPeer//after'), { timeoutMs: 30_000, what: 'a peer created after the restart to arrive' });
      await waitFor(() => Object.values(ds.status().kinds).every((k) => k.connected), { timeoutMs: 30_000, what: 'every kind to reconnect' });
      expect(has('Node//n1')).toBe(true);
    } finally {
      await ds.stop();
      view.stop();
    }
  }, 120_000);
});

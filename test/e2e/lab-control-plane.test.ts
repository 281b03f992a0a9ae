// The lab's control plane (src/lab/control-plane.ts) and its kubectl-like client (src/k8s/apply.ts)
// against real etcd + kube-apiserver:
// - started detached, with deploy/'s CRDs and RBAC installed; stopped from the handle as stored in
//   the lab state file (JSON), by PID: nothing left running, etcd data gone; a second stop is a no-op;
// - missing binaries: an error saying how to build them;
// - apply creates and updates (namespaces first, CRD kinds included), skips a bad object and applies
//   the rest; delete removes (namespaces completely, with no namespace controller running) and
//   finds missing objects fine; setPodStatus writes the pod's IPs as kubelet would;
// - listClusterObjects decodes exactly what the agent's informers decode (same objects, same order);
// - a process in a node namespace reaches the API server through startNodeApiForwarder with the
//   node kubeconfig, and has exactly the agent's RBAC.

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterStore } from '../../src/agent/cluster-store.js';
import { applyObjects, deleteObjects, listClusterObjects, readClusterView, setPodStatus } from '../../src/k8s/apply.js';
import { apiRequest } from '../../src/k8s/api-request.js';
import { KubernetesDatastore, loadKubeConfig } from '../../src/k8s/informers.js';
import { WATCHED_KINDS } from '../../src/k8s/kinds.js';
import { apiServerReady } from '../../src/k8s/kubeconfig.js';
import { nodeKubeconfig, startLabControlPlane, startNodeApiForwarder, stopLabControlPlane, waitForwarder, type LabControlPlane } from '../../src/lab/control-plane.js';
import { daemonAlive, stopDaemon, type DaemonRef } from '../../src/net/daemon.js';
import { World } from '../harness/netns.js';
import { waitFor } from '../harness/wait.js';

let dir: string;
let cp: LabControlPlane | undefined;
let stored: string;
const figures: Record<string, number> = {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mrd-lab-cp-'));
  const t0 = performance.now();
  cp = await startLabControlPlane(join(dir, 'apiserver'));
  figures['startMs'] = Math.round(performance.now() - t0);
  // What the lab state file keeps; later CLI processes work from this.
  stored = JSON.stringify(cp);
}, 180_000);

afterAll(async () => {
  if (cp !== undefined) await stopLabControlPlane(cp);
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  console.log(`FIGURES ${JSON.stringify(figures)}`);
});

const handle = (): LabControlPlane => JSON.parse(stored) as LabControlPlane;
const admin = (): string => handle().adminKubeconfig;

async function status(path: string): Promise<number> {
  return (await apiRequest(loadKubeConfig(admin()), path)).status;
}

const ns = (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { ns: name } } });
const pod = (namespace: string, name: string, labels: Record<string, string> = { pod: name }) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, labels },
  spec: { nodeName: 'node-a', containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10', ports: [{ name: 'serve-80-tcp', containerPort: 80 }] }] },
});
const good = [
  // Listed before their namespace: apply must create the namespace first.
  pod('x', 'a'),
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'deny', namespace: 'x' }, spec: { podSelector: {}, policyTypes: ['Ingress'] } },
  ns('x'),
  { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a' }, spec: { podCIDR: '10.244.1.0/24', podCIDRs: ['10.244.1.0/24'] } },
  { apiVersion: 'meridian.io/v1', kind: 'BGPPeer', metadata: { name: 'tor' }, spec: { peerIP: '192.0.2.254', asNumber: 65000 } },
  { apiVersion: 'meridian.io/v1', kind: 'BGPConfiguration', metadata: { name: 'default' }, spec: {} },
];
const bad = [
  // Strict field validation: a misspelt field is refused, not dropped.
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'typo', namespace: 'x' }, spec: { podSelectr: {} } },
  { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'x' } },
  { apiVersion: 'example.com/v1', kind: 'Frobnicator', metadata: { name: 'f' } },
  // Refused by the CRD's schema.
  { apiVersion: 'meridian.io/v1', kind: 'BGPPeer', metadata: { name: 'bad-as' }, spec: { peerIP: '192.0.2.1', asNumber: 0 } },
];

describe('lab control plane', () => {
  it('serves the API from the host kubeconfig, with deploy/ CRDs and RBAC installed', async () => {
    expect(await apiServerReady(admin())).toBe(true);
    expect(await status('/apis/apiextensions.k8s.io/v1/customresourcedefinitions/bgppeers.meridian.io')).toBe(200);
    expect(await status('/apis/apiextensions.k8s.io/v1/customresourcedefinitions/bgpconfigurations.meridian.io')).toBe(200);
    expect(await status('/apis/rbac.authorization.k8s.io/v1/clusterroles/meridian-agent')).toBe(200);
    expect(await status('/api/v1/namespaces/kube-system/serviceaccounts/meridian')).toBe(200);
    expect(handle().daemons.map(daemonAlive)).toEqual([true, true, true]);
  });

  it('refuses to start without the binaries, saying how to build them', async () => {
    const saved = process.env['MERIDIAN_K8S_BIN'];
    process.env['MERIDIAN_K8S_BIN'] = join(dir, 'no-such-bin');
    try {
      await expect(startLabControlPlane(join(dir, 'never'))).rejects.toThrow(/test\/servers\/build\.sh.*MERIDIAN_K8S_BIN/);
    } finally {
      if (saved === undefined) delete process.env['MERIDIAN_K8S_BIN'];
      else process.env['MERIDIAN_K8S_BIN'] = saved;
    }
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });

  it('applies, updates, sets pod status and deletes; a bad object is skipped and the rest applied', async () => {
    let t0 = performance.now();
    const r = await applyObjects(admin(), [...bad.slice(0, 2), ...good, ...bad.slice(2)]);
    figures['applyMs'] = Math.round(performance.now() - t0);
    expect(r.applied).toEqual(['Namespace x', 'Pod x/a', 'NetworkPolicy x/deny', 'Node node-a', 'BGPPeer tor', 'BGPConfiguration default']);
    expect(r.problems.map((p) => p.source)).toEqual(['document 1', 'NetworkPolicy x/typo', 'Frobnicator f', 'BGPPeer bad-as']);
    expect(r.problems[0]?.reason).toMatch(/metadata\.name/);
    expect(r.problems[1]?.reason).toMatch(/podSelectr/);
    expect(r.problems[2]?.reason).toMatch(/does not serve example\.com\/v1 Frobnicator/);
    expect(r.problems[3]?.reason).toMatch(/asNumber/);

    // Update: same objects, one label changed.
    const again = await applyObjects(admin(), [pod('x', 'a', { pod: 'a', tier: 'web' })]);
    expect(again).toEqual({ applied: ['Pod x/a'], problems: [] });

    await setPodStatus(admin(), 'x', 'a', { podIPs: ['10.244.1.5', 'fd00:10:244:1::5'], phase: 'Running' });
    const objects = await listClusterObjects(admin());
    expect(objects.find((o) => o.kind === 'Pod')).toMatchObject({ namespace: 'x', name: 'a', labels: { pod: 'a', tier: 'web' }, podIPs: ['10.244.1.5', 'fd00:10:244:1::5'], phase: 'Running', nodeName: 'node-a' });
    expect(objects.map((o) => `${o.kind} ${o.name}`)).toEqual(expect.arrayContaining(['BGPPeer tor', 'BGPConfiguration default', 'Namespace x', 'NetworkPolicy deny', 'Node node-a']));

    t0 = performance.now();
    const d = await deleteObjects(admin(), [...good, ...bad]);
    figures['deleteMs'] = Math.round(performance.now() - t0);
    expect(d.deleted).toEqual(['BGPConfiguration default', 'BGPPeer tor', 'Node node-a', 'NetworkPolicy x/deny', 'Pod x/a', 'Namespace x']);
    expect(d.absent).toEqual(['BGPPeer bad-as', 'NetworkPolicy x/typo']);
    expect(d.problems.map((p) => p.source)).toEqual(['document 7', 'Frobnicator f']);
    // No kubelet, no namespace controller: still gone at once, not left Terminating.
    expect(await status('/api/v1/namespaces/x/pods/a')).toBe(404);
    expect(await status('/api/v1/namespaces/x')).toBe(404);
    const gone = await deleteObjects(admin(), good);
    expect(gone.deleted).toEqual([]);
    expect(gone.problems).toEqual([]);
    expect(gone.absent).toHaveLength(good.length);
  });

  it("lists the cluster exactly as the agent's informers decode it", async () => {
    const docs = [
      ns('y'),
      ns('z'),
      pod('y', 'b'),
      pod('z', 'c'),
      { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-b' }, spec: { podCIDR: '10.244.2.0/24' }, status: { addresses: [{ type: 'InternalIP', address: '192.0.2.2' }] } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'y' }, spec: { ports: [{ port: 80 }] } },
      // The API server accepts this; the agent drops its rule (an ambiguous leading-zero octet) and
      // uses the rest, fail-closed.
      { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'octal', namespace: 'y' }, spec: { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '010.0.0.0/8' } }] }] } },
      { apiVersion: 'meridian.io/v1', kind: 'BGPPeer', metadata: { name: 'rr' }, spec: { peerIP: '192.0.2.253', asNumber: 64512, nodeSelector: { matchLabels: { rack: '1' } } } },
    ];
    expect((await applyObjects(admin(), docs)).problems).toEqual([]);
    await setPodStatus(admin(), 'y', 'b', { podIPs: ['10.244.2.7'], phase: 'Running' });

    const store = new ClusterStore();
    const ds = new KubernetesDatastore({ kubeconfig: loadKubeConfig(admin()) });
    ds.start((e) => store.apply(e));
    try {
      await waitFor(() => WATCHED_KINDS.every((k) => store.synced(k)), { timeoutMs: 15_000, what: 'the informers to sync' });
      const view = await readClusterView(admin());
      expect(view.objects).toEqual(store.list());
      expect(view.problems).toEqual(store.problems().map(({ key: _key, ...p }) => p));
      expect(view.problems.map((p) => `${p.kind} ${p.namespace}/${p.name}`)).toEqual(['NetworkPolicy y/octal']);
    } finally {
      await ds.stop();
    }
    await deleteObjects(admin(), docs);
  });

  it('reaches the API server from a node namespace through the forwarder, as the agent', async () => {
    const w = new World();
    let fwd: DaemonRef | undefined;
    try {
      const node = await w.netns('labnode');
      const log = join(dir, 'fwd.log');
      const t0 = performance.now();
      fwd = startNodeApiForwarder(handle(), node.name, log);
      await waitForwarder(fwd, log);
      figures['forwarderReadyMs'] = Math.round(performance.now() - t0);
      const kubeconfig = await nodeKubeconfig(handle(), 'node-a', join(dir, 'nodes'));
      // A plain Node process in the namespace, with nothing but the kubeconfig's server, CA and token.
      const script = `
        const { readFileSync } = require('node:fs'); const { get } = require('node:https');
        const kc = JSON.parse(readFileSync(process.argv[1], 'utf8'));
        const c = kc.clusters[0].cluster, token = kc.users[0].user.token;
        const ca = Buffer.from(c['certificate-authority-data'], 'base64');
        const paths = ['/version', '/api/v1/nodes', '/apis/meridian.io/v1/bgppeers', '/api/v1/secrets'];
        Promise.all(paths.map((p) => new Promise((res, rej) => get(c.server + p, { ca, headers: { authorization: 'Bearer ' + token } }, (r) => { r.resume(); res(p + ' ' + r.statusCode); }).on('error', rej))))
          .then((l) => console.log(l.join('\\n')), (e) => { console.error(e.message); process.exit(1); });`;
      const out = await w.exec(node, [process.execPath, '-e', script, kubeconfig]);
      expect(out.stdout.trim().split('\n')).toEqual(['/version 200', '/api/v1/nodes 200', '/apis/meridian.io/v1/bgppeers 200', '/api/v1/secrets 403']);
      await stopDaemon(fwd);
      expect(daemonAlive(fwd)).toBe(false);
    } finally {
      if (fwd !== undefined) await stopDaemon(fwd);
      await w.cleanup();
    }
  });

  it('stops from the stored handle: every process gone, etcd data removed; stopping again is a no-op', async () => {
    const h = handle();
    const t0 = performance.now();
    await stopLabControlPlane(h);
    figures['stopMs'] = Math.round(performance.now() - t0);
    expect(h.daemons.map(daemonAlive)).toEqual([false, false, false]);
    expect(existsSync(join(h.dir, 'etcd'))).toBe(false);
    expect(existsSync(h.apiSocket)).toBe(false);
    await expect(apiServerReady(h.adminKubeconfig)).rejects.toThrow();
    await stopLabControlPlane(h);
    cp = undefined;
  }, 60_000);
});

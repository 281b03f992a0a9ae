// `lab up --apiserver`: the cluster objects live in a real kube-apiserver (etcd and kube-apiserver
// on the host's loopback, control-plane.ts). Each node's agent uses the kubernetes datastore with
// the DaemonSet's ServiceAccount token, reaching the API through a forwarder in its namespace.
// The lab writes as kubectl and kubelet would: server-side apply of the manifests, then the Pod
// and Node status subresources (podIPs; node addresses).

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { applyObjects, deleteObjects, listClusterObjects, setNodeStatus, setPodStatus } from '../k8s/apply.js';
import { KINDS } from '../k8s/kinds.js';
import type { KubeObject } from '../k8s/objects.js';
import type { Backend } from './backend.js';
import { nodeKubeconfig, startLabControlPlane, startNodeApiForwarder, waitForwarder } from './control-plane.js';
import { nodeDir, type LabEnv } from './nodes.js';
import { refKey, refOf, type Doc, type DocRef } from './objects.js';
import { writeState, type LabState } from './state.js';

export async function startApiserver(env: LabEnv, s: LabState): Promise<void> {
  const cp = await startLabControlPlane(join(env.dir, 'apiserver'), (d) => {
    s.daemons.push(d);
    writeState(env.dir, s);
  });
  s.apiserver = cp;
  writeState(env.dir, s);
}

const withoutStatus = (d: Doc): Doc => {
  const { status: _status, ...rest } = d;
  return rest;
};

export function apiBackend(env: LabEnv, s: LabState): Backend {
  const cp = s.apiserver;
  if (cp === undefined) throw new Error('this lab runs without an API server');
  const admin = cp.adminKubeconfig;
  const objects = (): Promise<KubeObject[]> => listClusterObjects(admin);
  const refs = async (): Promise<DocRef[]> => (await objects()).map((o) => ({ kind: o.kind, namespace: 'namespace' in o && typeof o.namespace === 'string' ? o.namespace : '', name: o.name }));
  return {
    async datastore(node) {
      const log = join(nodeDir(env.dir, node.plan.name), 'api-forwarder.log');
      mkdirSync(nodeDir(env.dir, node.plan.name), { recursive: true });
      node.apiForwarder = startNodeApiForwarder(cp, node.netns, log);
      writeState(env.dir, s);
      await waitForwarder(node.apiForwarder, log);
      return { type: 'kubernetes', kubeconfig: await nodeKubeconfig(cp, node.plan.name, nodeDir(env.dir, node.plan.name)) };
    },
    async put(docs) {
      if (docs.length === 0) return { applied: [], problems: [] };
      const r = await applyObjects(admin, docs.map(withoutStatus));
      const problems = r.problems.map((p) => `${p.source}: ${p.reason}`);
      for (const d of docs) {
        const ref = refOf(d);
        const status = d['status'] as Record<string, unknown> | undefined;
        if (status === undefined || !r.applied.includes(refKey(ref))) continue;
        try {
          if (ref.kind === 'Pod') {
            const ips = ((status['podIPs'] ?? []) as { ip: string }[]).map((x) => x.ip);
            await setPodStatus(admin, ref.namespace, ref.name, { podIPs: ips, phase: 'Running' });
          } else if (ref.kind === 'Node') {
            await setNodeStatus(admin, ref.name, status);
          }
        } catch (e) {
          problems.push(`${refKey(ref)} status: ${(e as Error).message}`);
        }
      }
      return { applied: r.applied, problems };
    },
    async remove(ref) {
      const apiVersion = KINDS.find((k) => k.kind === ref.kind)?.apiVersion ?? 'v1';
      const r = await deleteObjects(admin, [{ apiVersion, kind: ref.kind, metadata: { name: ref.name, ...(ref.namespace !== '' ? { namespace: ref.namespace } : {}) } }]);
      if (r.problems.length > 0) throw new Error(r.problems.map((p) => p.reason).join('; '));
      return r.deleted.length > 0;
    },
    namespaces: async () => (await refs()).filter((r) => r.kind === 'Namespace').map((r) => r.name),
    inNamespace: async (ns) => (await refs()).filter((r) => r.namespace === ns),
    objects,
  };
}

// Pods in the lab, as kubelet and the container runtime handle them: a Pod applied with a node
// (spec.nodeName, or the next node in turn) gets a network namespace, meridian-cni ADD on that
// node, a server on every containerPort (TCP and UDP), and its IPs in status.podIPs; a relabel
// only rewrites the object; deleting it runs CNI DEL and removes the namespace.

import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { stopDaemon } from '../net/daemon.js';
import { deleteNetns } from '../net/netns.js';
import { cniConfig, resultIps, runCni, startPodServer } from './kubelet.js';
import { createNetns, nodeDir, nsName, type LabEnv } from './nodes.js';
import type { Doc } from './objects.js';
import { writeState, type LabPod, type LabState } from './state.js';

const podDir = (dir: string): string => join(dir, 'pods');

export function podPorts(doc: Doc): number[] {
  const spec = (doc['spec'] ?? {}) as { containers?: { ports?: { containerPort?: unknown }[] }[] };
  const ports = new Set<number>();
  for (const c of spec.containers ?? []) for (const p of c.ports ?? []) if (typeof p.containerPort === 'number') ports.add(p.containerPort);
  return [...ports].sort((a, b) => a - b);
}

/** Which lab node a pod goes to: its spec.nodeName (which must exist), or the next node in turn. */
export function scheduleNode(s: LabState, doc: Doc): string {
  const spec = (doc['spec'] ?? {}) as { nodeName?: unknown };
  if (typeof spec.nodeName === 'string' && spec.nodeName !== '') {
    if (!s.nodes.some((n) => n.plan.name === spec.nodeName)) throw new Error(`spec.nodeName ${spec.nodeName} is not a lab node (${s.nodes.map((n) => n.plan.name).join(', ')})`);
    return spec.nodeName;
  }
  if (s.nodes.length === 0) throw new Error('the lab has no nodes');
  const n = s.nodes[s.nextPodNode % s.nodes.length];
  s.nextPodNode++;
  return (n as { plan: { name: string } }).plan.name;
}

/**
 * `p-<namespace>_<name>`: no two pods share it ('_' is in no Kubernetes namespace or pod name),
 * and no node does (node names have no '_'; the fabric's names are reserved).
 */
const podRole = (namespace: string, name: string): string => `p-${namespace}_${name}`;

export async function wirePod(env: LabEnv, s: LabState, namespace: string, name: string, node: string, ports: number[]): Promise<LabPod> {
  const n = s.nodes.find((x) => x.plan.name === node);
  if (n === undefined) throw new Error(`no lab node ${node}`);
  const netns = nsName(s, podRole(namespace, name));
  const pod: LabPod = { namespace, name, node, netns, containerId: `${namespace}-${name}-${randomBytes(4).toString('hex')}`, ips: [], ports };
  // The namespace is recorded before it is made and the pod right after, so `lab down` undoes a
  // half-wired pod too (and whatever runs in its namespace, or the node's, goes with it).
  await createNetns(env, s, netns);
  s.pods.push(pod);
  writeState(env.dir, s);
  try {
    const result = await runCni({ verb: 'ADD', nodeNetns: n.netns, podNetns: `/run/netns/${netns}`, containerId: pod.containerId, namespace, name, config: cniConfig(nodeDir(env.dir, node)) });
    pod.ips = resultIps(result ?? {});
    writeState(env.dir, s);
    await startServer(env, s, pod);
  } catch (e) {
    // As a runtime does after a failed ADD: DEL (the plugin cleans up what it half made), and
    // the sandbox goes.
    await unwirePod(env, s, pod).catch(() => undefined);
    throw e;
  }
  return pod;
}

export async function startServer(env: LabEnv, s: LabState, pod: LabPod): Promise<void> {
  mkdirSync(podDir(env.dir), { recursive: true });
  pod.server = await startPodServer(pod.netns, podSocket(env.dir, pod), pod.ports, join(podDir(env.dir), `${pod.namespace}_${pod.name}.log`));
  writeState(env.dir, s);
}

export const podSocket = (dir: string, pod: LabPod): string => join(podDir(dir), `${pod.namespace}_${pod.name}.sock`);

/** Stop the server, CNI DEL on its node (if the node is still there), remove the namespace. */
export async function unwirePod(env: LabEnv, s: LabState, pod: LabPod): Promise<void> {
  if (pod.server !== undefined) {
    await stopDaemon(pod.server);
    // Not served any more, whatever happens next (the matrix skips pods without a server).
    delete pod.server;
    writeState(env.dir, s);
  }
  const n = s.nodes.find((x) => x.plan.name === pod.node);
  if (n !== undefined) {
    await runCni({ verb: 'DEL', nodeNetns: n.netns, podNetns: `/run/netns/${pod.netns}`, containerId: pod.containerId, namespace: pod.namespace, name: pod.name, config: cniConfig(nodeDir(env.dir, pod.node)) });
  }
  await deleteNetns(env.run, pod.netns);
  s.pods = s.pods.filter((p) => p !== pod);
  s.namespaces = s.namespaces.filter((x) => x !== pod.netns);
  writeState(env.dir, s);
}

/** The Pod object as the API server holds it once kubelet reported: nodeName and podIPs set. */
export function podWithStatus(doc: Doc, pod: LabPod): Doc {
  const spec = { ...((doc['spec'] ?? {}) as Record<string, unknown>), nodeName: pod.node };
  return {
    ...doc,
    spec,
    status: { phase: 'Running', podIP: pod.ips[0], podIPs: pod.ips.map((ip) => ({ ip })) },
  };
}

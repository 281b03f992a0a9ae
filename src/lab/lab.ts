// `meridian lab`: a whole routed cluster on one machine. up / apply / delete / node add|remove /
// down, over the state in <dir>/lab.json (state.ts). The cluster objects live in a Backend: the
// files datastore (a directory every agent watches) or, with --apiserver, a real kube-apiserver.
// Every change returns only once every node's agent reports the view digest the lab expects.

import { chmodSync, existsSync, mkdirSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CniError } from '../cni/errors.js';
import { LabError, LabInputError } from './errors.js';
import { withLockFile } from '../cni/ipam/lock.js';
import { parseManifests } from '../k8s/manifests.js';
import { stopDaemon } from '../net/daemon.js';
import { deleteNetns, listNetns } from '../net/netns.js';
import type { AgentStatus } from '../agent/agent.js';
import { fetchStatus } from '../agent/status-client.js';
import { backendDigest, filesBackend, type Backend } from './backend.js';
import { createFabric, createNodeNetwork, nodeDir, removeNode, startAgent, statusSocket, type LabEnv } from './nodes.js';
import { refKey, refOf, waitApplied, type Doc, type DocRef } from './objects.js';
import { defaultObjects, nodeObject, planNode, routingObjects, type LabOptions, type RouterChoice, type Topology } from './plan.js';
import { podPorts, podWithStatus, scheduleNode, unwirePod, wirePod } from './pods.js';
import { labRouterNeeded, reconfigureRouter, startLabRouter, stopLabRouter } from './router-hooks.js';
import { readState, writeState, type LabNode, type LabState } from './state.js';

export interface UpOptions {
  readonly name: string;
  readonly nodes: number;
  readonly topology: Topology;
  readonly router: RouterChoice;
  readonly ipv6: boolean;
  /** Apply these manifests instead of the default x/y/z model. */
  readonly objects?: readonly Doc[];
  readonly apiserver: boolean;
}

export { LabError, LabInputError } from './errors.js';

/** What the lab writes under its directory; `down` removes these and nothing else. */
const LAB_ENTRIES = ['lab.json', 'lab.json.tmp', 'lab.lock', 'objects', 'nodes', 'pods', 'router', 'apiserver'];
const RESERVED_NODE_NAMES = new Set(['switch', 'tor', 'rr']);

/**
 * Serialise the commands that change a lab (two at once would each write back the state they
 * read, and the later would drop what the earlier made). The holder of a lock whose PID is gone
 * is taken over; a live one is waited for.
 */
export async function withLabLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await withLockFile(join(dir, 'lab.lock'), fn, { timeoutMs: 600_000, staleMs: 24 * 3600_000 });
  } catch (e) {
    if (e instanceof CniError && e.message.includes('is held by pid')) throw new LabError(`another lab command is running on ${dir} (${e.message.replace(/^.*held by /, '')})`);
    throw e;
  }
}

const since = (t: number): string => `${((Date.now() - t) / 1000).toFixed(1)} s`;

export function loadState(dir: string): LabState {
  const s = readState(dir);
  if (s === undefined) throw new LabError(`no lab in ${dir}: start one with \`meridian lab up\``);
  return s;
}

const labOptions = (s: LabState): LabOptions => ({ topology: s.topology, router: s.router, ipv6: s.ipv6 });

async function backendOf(env: LabEnv, s: LabState): Promise<Backend> {
  if (s.apiserver !== undefined) {
    const { apiBackend } = await import('./api-backend.js');
    return apiBackend(env, s);
  }
  return filesBackend(env.dir);
}

function sockets(env: LabEnv, s: LabState): Map<string, string> {
  return new Map(s.nodes.map((n) => [n.plan.name, statusSocket(env.dir, n.plan.name)]));
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

async function agentStatus(env: LabEnv, node: string): Promise<AgentStatus | undefined> {
  return (await fetchStatus(statusSocket(env.dir, node)).catch(() => undefined)) as AgentStatus | undefined;
}

/** Ready, and a kernel route to every other node's podCIDRs (pods can talk across nodes). */
async function waitConverged(env: LabEnv, s: LabState, nodes: readonly LabNode[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let why = '';
  for (;;) {
    const missing: string[] = [];
    for (const n of nodes) {
      const st = await agentStatus(env, n.plan.name);
      if (st?.readiness.ready !== true) {
        missing.push(`${n.plan.name}: ${st?.readiness.why ?? 'agent not answering'}`);
        continue;
      }
      const have = new Set((st.bgp?.routes ?? []).map((r) => r.dst));
      const want = s.nodes.filter((o) => o !== n).flatMap((o) => o.plan.podCidrs);
      const lack = want.filter((c) => !have.has(c));
      if (lack.length > 0) missing.push(`${n.plan.name}: no route yet to ${lack.join(', ')}`);
    }
    if (missing.length === 0) return;
    why = missing.join('; ');
    if (Date.now() > deadline) throw new LabError(`the cluster did not converge within ${timeoutMs / 1000} s: ${why} (logs: ${env.dir}/nodes/*/agent.log)`);
    await sleep(100);
  }
}

export async function labUp(env: LabEnv, o: UpOptions): Promise<{ state: LabState; problems: string[] }> {
  if (readState(env.dir) !== undefined) throw new LabError(`a lab already exists in ${env.dir}: \`meridian lab down\` first`);
  if (!Number.isInteger(o.nodes) || o.nodes < 1 || o.nodes > 50) throw new LabInputError('--nodes: 1 to 50');
  if (o.topology !== 'rr' && o.router === 'meridian') throw new LabInputError('--router meridian (a node as route reflector) needs --topology rr');
  // The directory becomes the lab's: never take over one that holds anything else.
  const foreign = existsSync(env.dir) ? readdirSync(env.dir).filter((f) => !LAB_ENTRIES.includes(f) && !f.startsWith('lab.lock.')) : [];
  if (foreign.length > 0) throw new LabInputError(`${env.dir} is not empty (${foreign.slice(0, 3).join(', ')}): give the lab a directory of its own with --dir`);
  const clash = (await listNetns(env.run)).filter((n) => n.startsWith(`${o.name}-`));
  if (clash.length > 0) {
    throw new LabError(`namespaces ${clash.slice(0, 3).join(', ')}${clash.length > 3 ? ', …' : ''} exist: another lab named ${o.name} runs (\`meridian lab down --dir ITS_DIR\`), or choose another --name`);
  }
  const t0 = Date.now();
  mkdirSync(env.dir, { recursive: true });
  // FRR's daemons drop to user frr and must reach their files under <dir>/router; a private
  // (0700) state directory, as mkdtemp makes, would stop them at the door. (The directory is
  // empty or new: checked above.)
  chmodSync(env.dir, 0o755);
  const s: LabState = {
    version: 1,
    name: o.name,
    topology: o.topology,
    router: o.router,
    ipv6: o.ipv6,
    createdAt: new Date().toISOString(),
    namespaces: [],
    nodes: [],
    pods: [],
    daemons: [],
    nextIndex: 1,
    nextPodNode: 0,
  };
  writeState(env.dir, s);
  let t = Date.now();
  await createFabric(env, s);
  const plans = Array.from({ length: o.nodes }, () => planNode(labOptions(s), `node-${s.nextIndex}`, s.nextIndex++));
  for (const p of plans) await createNodeNetwork(env, s, p);
  env.progress(`network: ${o.nodes} node namespaces, ${o.topology} topology${o.ipv6 ? ', dual-stack' : ''} (${since(t)})`);
  if (labRouterNeeded(s)) {
    t = Date.now();
    await startLabRouter(env, s);
    env.progress(`router: ${s.router} as ${s.topology === 'tor' ? 'top-of-rack (eBGP)' : 'route reflector (iBGP)'} (${since(t)})`);
  }
  if (o.apiserver) {
    t = Date.now();
    const { startApiserver } = await import('./api-backend.js');
    await startApiserver(env, s);
    env.progress(`control plane: etcd and kube-apiserver on ${s.apiserver?.url ?? '?'} (${since(t)})`);
  }
  const backend = await backendOf(env, s);
  t = Date.now();
  await backend.put([...s.nodes.map((n) => nodeObject(labOptions(s), n.plan)), ...routingObjects(labOptions(s))]);
  for (const n of s.nodes) startAgent(env, s, n, await backend.datastore(n));
  await waitConverged(env, s, s.nodes);
  env.progress(`agents: ${s.nodes.length} running, BGP converged (${since(t)})`);
  t = Date.now();
  const docs = o.objects ?? defaultObjects(s.nodes.map((n) => n.plan.name));
  const r = await applyDocs(env, s, backend, docs);
  // The default workload must come up whole; a user's manifests are reported and skipped.
  const bad = [...r.problems, ...r.failures];
  if (o.objects === undefined && bad.length > 0) throw new LabError(`the default workload failed: ${bad.join('; ')}`);
  for (const p of r.problems) env.progress(`  skipped: ${p}`);
  for (const f of r.failures) env.progress(`  failed: ${f}`);
  env.progress(`workload: ${s.pods.length} pods wired by meridian-cni, ${r.applied.length} objects applied (${since(t)})`);
  env.progress(`lab up in ${since(t0)}`);
  return { state: s, problems: r.problems };
}

export interface ApplyResult {
  readonly applied: string[];
  /** Manifests that could not be used: reported and skipped (exit 2). */
  readonly problems: string[];
  /** What failed at run time: a pod that could not be wired or unwired (exit 1). */
  readonly failures: string[];
  readonly ms: number;
}

const KIND_ORDER = ['Namespace', 'BGPConfiguration', 'BGPPeer', 'Service', 'NetworkPolicy', 'Pod'];

/** Decode a manifest the way the agent will; a reason when it cannot be used. */
function check(s: LabState, doc: Doc, known: ReadonlySet<string>): string | undefined {
  const r = refOf(doc);
  if (r.kind === 'Node') return `${refKey(r)}: lab nodes come from \`meridian lab node add|remove\``;
  if (!KIND_ORDER.includes(r.kind)) return `${r.kind || '(no kind)'} ${r.name}: not a kind the lab or the agent uses (${KIND_ORDER.join(', ')})`;
  if (r.name === '') return `${r.kind}: metadata.name is required`;
  const parsed = parseManifests(JSON.stringify(doc), refKey(r));
  if (parsed.problems.length > 0) return `${refKey(r)}: ${parsed.problems.map((p) => p.reason).join('; ')}`;
  if (r.namespace !== '' && !known.has(r.namespace)) return `${refKey(r)}: namespace ${r.namespace} does not exist`;
  if (r.kind === 'Pod') {
    const spec = (doc['spec'] ?? {}) as { hostNetwork?: unknown; nodeName?: unknown };
    if (spec.hostNetwork === true) return `${refKey(r)}: hostNetwork pods are not wired by CNI and the lab does not run them`;
    const existing = s.pods.find((p) => p.namespace === r.namespace && p.name === r.name);
    if (existing !== undefined) {
      // As the API server says: a scheduled pod does not move.
      if (typeof spec.nodeName === 'string' && spec.nodeName !== '' && spec.nodeName !== existing.node) return `${refKey(r)}: spec.nodeName is immutable (the pod runs on ${existing.node})`;
      if (podPorts(doc).join() !== existing.ports.join()) return `${refKey(r)}: the containers' ports are immutable (delete the pod and apply it again)`;
      return undefined;
    }
    try {
      scheduleNode({ ...s, nextPodNode: s.nextPodNode }, doc);
    } catch (e) {
      return `${refKey(r)}: ${(e as Error).message}`;
    }
  }
  return undefined;
}

async function applyDocs(env: LabEnv, s: LabState, backend: Backend, docs: readonly Doc[]): Promise<ApplyResult> {
  const t0 = Date.now();
  const problems: string[] = [];
  const applied: string[] = [];
  // `default` always exists, as in every cluster.
  const known = new Set(['default', ...(await backend.namespaces())]);
  for (const d of docs) if (refOf(d).kind === 'Namespace') known.add(refOf(d).name);
  const ok: Doc[] = [];
  for (const d of docs) {
    const why = check(s, d, known);
    if (why !== undefined) problems.push(why);
    else ok.push(d);
  }
  ok.sort((a, b) => KIND_ORDER.indexOf(refOf(a).kind) - KIND_ORDER.indexOf(refOf(b).kind));
  const failures: string[] = [];
  const others = await backend.put(ok.filter((d) => refOf(d).kind !== 'Pod'));
  applied.push(...others.applied);
  problems.push(...others.problems);
  const pods = ok.filter((d) => refOf(d).kind === 'Pod');
  await mapLimit(pods, 3, async (d) => {
    const r = refOf(d);
    let pod = s.pods.find((p) => p.namespace === r.namespace && p.name === r.name);
    if (pod === undefined) {
      try {
        pod = await wirePod(env, s, r.namespace, r.name, scheduleNode(s, d), podPorts(d));
      } catch (e) {
        failures.push(`${refKey(r)}: ${(e as Error).message}`);
        return;
      }
    }
    const put = await backend.put([podWithStatus(d, pod)]);
    applied.push(...put.applied);
    problems.push(...put.problems);
  });
  await waitApplied(sockets(env, s), () => backendDigest(backend));
  return { applied, problems, failures, ms: Date.now() - t0 };
}

export async function labApply(env: LabEnv, docs: readonly Doc[]): Promise<ApplyResult> {
  const s = loadState(env.dir);
  return applyDocs(env, s, await backendOf(env, s), docs);
}

export async function labDelete(env: LabEnv, docs: readonly Doc[]): Promise<ApplyResult> {
  const t0 = Date.now();
  const s = loadState(env.dir);
  const backend = await backendOf(env, s);
  const problems: string[] = [];
  const deleted: string[] = [];
  const refs: DocRef[] = [];
  for (const d of docs) {
    const r = refOf(d);
    if (r.kind === 'Node') {
      problems.push(`${refKey(r)}: use \`meridian lab node remove ${r.name}\``);
      continue;
    }
    refs.push(r);
    // Deleting a namespace deletes what is in it, as the namespace controller does.
    if (r.kind === 'Namespace') refs.push(...(await backend.inNamespace(r.name)));
  }
  const failures: string[] = [];
  const kept = new Set<string>();
  for (const r of refs) {
    if (r.kind === 'Pod') {
      const pod = s.pods.find((p) => p.namespace === r.namespace && p.name === r.name);
      if (pod === undefined) continue;
      try {
        await unwirePod(env, s, pod);
      } catch (e) {
        // The pod keeps its object (and its state entry) so a later delete or `down` retries it.
        failures.push(`${refKey(r)}: ${(e as Error).message}`);
        kept.add(refKey(r));
      }
    }
  }
  for (const r of refs) if (!kept.has(refKey(r)) && (await backend.remove(r))) deleted.push(refKey(r));
  await waitApplied(sockets(env, s), () => backendDigest(backend));
  return { applied: deleted, problems, failures, ms: Date.now() - t0 };
}

export async function labNodeAdd(env: LabEnv, name?: string): Promise<LabNode> {
  const s = loadState(env.dir);
  const index = s.nextIndex;
  const nodeName = name ?? `node-${index}`;
  if (s.nodes.some((n) => n.plan.name === nodeName)) throw new LabInputError(`node ${nodeName} exists`);
  if (!/^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$/.test(nodeName)) throw new LabInputError(`node name ${nodeName}: lowercase letters, digits and '-', at most 32`);
  if (RESERVED_NODE_NAMES.has(nodeName)) throw new LabInputError(`node name ${nodeName}: reserved for the lab's own namespaces`);
  s.nextIndex++;
  const node = await createNodeNetwork(env, s, planNode(labOptions(s), nodeName, index));
  if (labRouterNeeded(s)) await reconfigureRouter(env, s);
  const backend = await backendOf(env, s);
  await backend.put([nodeObject(labOptions(s), node.plan)]);
  startAgent(env, s, node, await backend.datastore(node));
  await waitConverged(env, s, s.nodes);
  await waitApplied(sockets(env, s), () => backendDigest(backend));
  return node;
}

/** Drain (delete its pods), stop its agent, remove its Node object and namespace. */
export async function labNodeRemove(env: LabEnv, name: string): Promise<string[]> {
  const s = loadState(env.dir);
  const node = s.nodes.find((n) => n.plan.name === name);
  if (node === undefined) throw new LabInputError(`no lab node ${name} (${s.nodes.map((n) => n.plan.name).join(', ')})`);
  if (s.topology === 'rr' && s.router === 'meridian' && node.plan.index === 1) {
    throw new LabInputError(`${name} is the route reflector of this lab (--router meridian): with the mesh off, removing it would partition the cluster`);
  }
  const backend = await backendOf(env, s);
  const gone: string[] = [];
  for (const pod of s.pods.filter((p) => p.node === name)) {
    await unwirePod(env, s, pod);
    await backend.remove({ kind: 'Pod', namespace: pod.namespace, name: pod.name });
    gone.push(`${pod.namespace}/${pod.name}`);
  }
  await removeNode(env, s, node);
  await backend.remove({ kind: 'Node', namespace: '', name });
  if (labRouterNeeded(s)) await reconfigureRouter(env, s);
  rmSync(nodeDir(env.dir, name), { recursive: true, force: true });
  await waitConverged(env, s, s.nodes);
  await waitApplied(sockets(env, s), () => backendDigest(backend));
  return gone;
}

/** Remove everything the state names; idempotent, and fine after a crash at any point. */
export async function labDown(env: LabEnv): Promise<boolean> {
  const s = readState(env.dir);
  if (s === undefined) return false;
  const t0 = Date.now();
  await Promise.all(s.pods.map((p) => (p.server !== undefined ? stopDaemon(p.server) : Promise.resolve())));
  await Promise.all(s.nodes.flatMap((n) => [n.agent, n.apiForwarder].filter((d) => d !== undefined).map((d) => stopDaemon(d, 5000))));
  if (s.routerDaemon !== undefined) await stopLabRouter(s.routerDaemon);
  for (const d of [...s.daemons].reverse()) await stopDaemon(d);
  for (const ns of [...s.namespaces].reverse()) await deleteNetns(env.run, ns);
  for (const f of LAB_ENTRIES.filter((e) => e !== 'lab.json')) rmSync(join(env.dir, f), { recursive: true, force: true });
  // The state file last: until here a second `down` can finish the job.
  rmSync(join(env.dir, 'lab.json'), { force: true });
  try {
    rmdirSync(env.dir);
  } catch {
    // Not empty (someone else's files) or already gone: leave it.
  }
  env.progress(`lab ${s.name} removed: ${s.namespaces.length} namespaces (${since(t0)})`);
  return true;
}


// Lab nodes: a network namespace per node, wired per topology, running `meridian agent` from this
// checkout with its own config, status socket, CNI node file and IPAM directory under
// <dir>/nodes/<name>/. Every namespace is recorded in the state before it is created.

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startDaemon, stopDaemon } from '../net/daemon.js';
import { ipBatch } from '../net/ip.js';
import { addBridge, addNetns, addVeth, deleteNetns } from '../net/netns.js';
import type { Runner } from '../net/runner.js';
import { sysctlSet } from '../net/sysctl.js';
import { distFile } from './dist-files.js';
import { NODE_ASN, TOR_LOOPBACK4, TOR_LOOPBACK6, type NodePlan } from './plan.js';
import { writeState, type LabNode, type LabState } from './state.js';

export interface LabEnv {
  readonly dir: string;
  readonly run: Runner;
  readonly progress: (line: string) => void;
}

export const nsName = (s: LabState, role: string): string => `${s.name}-${role}`;
export const SWITCH = 'switch';
export const BRIDGE = 'br0';
export const TOR = 'tor';
export const objectsDir = (dir: string): string => join(dir, 'objects');
export const nodeDir = (dir: string, node: string): string => join(dir, 'nodes', node);
export const statusSocket = (dir: string, node: string): string => join(nodeDir(dir, node), 'status.sock');

/**
 * Create a namespace, recording it first (a crash between the two still gets it removed). A name
 * the lab already holds is refused before anything is recorded, and so is one that exists
 * outside the lab (`ip netns add` fails): then it is dropped from the record again, so nothing
 * of the lab ever removes a namespace it did not make.
 */
export async function createNetns(env: LabEnv, s: LabState, name: string): Promise<void> {
  if (s.namespaces.includes(name)) throw new Error(`namespace ${name} is already one of this lab's`);
  s.namespaces.push(name);
  writeState(env.dir, s);
  try {
    await addNetns(env.run, name);
  } catch (e) {
    s.namespaces = s.namespaces.filter((n) => n !== name);
    writeState(env.dir, s);
    throw e;
  }
}

/** The shared parts of a topology: the switch (mesh, rr) or the ToR namespace with its loopback. */
export async function createFabric(env: LabEnv, s: LabState): Promise<void> {
  if (s.topology === 'tor') {
    const tor = nsName(s, TOR);
    await createNetns(env, s, tor);
    await ipBatch(env.run, [`addr add ${TOR_LOOPBACK4}/32 dev lo`, ...(s.ipv6 ? [`addr add ${TOR_LOOPBACK6}/128 dev lo`] : [])], { netns: tor });
    await sysctlSet(env.run, { 'net.ipv4.ip_forward': 1, 'net.ipv6.conf.all.forwarding': 1 }, { netns: tor });
    return;
  }
  const sw = nsName(s, SWITCH);
  await createNetns(env, s, sw);
  await addBridge(env.run, sw, BRIDGE);
}

/** Node namespace, its uplink, sysctls and default route; the agent is started separately. */
export async function createNodeNetwork(env: LabEnv, s: LabState, n: NodePlan): Promise<LabNode> {
  const netns = nsName(s, n.name);
  await createNetns(env, s, netns);
  await sysctlSet(
    env.run,
    { 'net.ipv4.ip_forward': 1, 'net.ipv6.conf.all.forwarding': 1, 'net.ipv6.conf.default.accept_dad': 0, 'net.ipv6.conf.all.accept_dad': 0 },
    { netns },
  );
  if (s.topology === 'tor') {
    await addVeth(env.run, { netns, name: 'uplink', addrs: n.uplink }, { netns: nsName(s, TOR), name: `n${n.index}`, addrs: n.routerSide });
  } else {
    await addVeth(env.run, { netns, name: 'uplink', addrs: n.uplink }, { netns: nsName(s, SWITCH), name: `p${n.index}`, master: BRIDGE });
  }
  // A default route, as a real node has: proxy ARP answers for the pods' 169.254.1.1 gateway only
  // when the node can route it. Behind a ToR it is the real way out (less preferred than BGP's).
  const routes = [`route add default via ${n.gateway4} dev uplink metric 1000`];
  if (n.gateway6 !== undefined && s.topology === 'tor') routes.push(`route add default via ${n.gateway6} dev uplink metric 1000`);
  await ipBatch(env.run, routes, { netns });
  const node: LabNode = { plan: n, netns };
  s.nodes.push(node);
  writeState(env.dir, s);
  return node;
}

export function agentConfig(env: LabEnv, s: LabState, n: NodePlan, datastore: Record<string, unknown>): string {
  const dir = nodeDir(env.dir, n.name);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'agent.yaml');
  writeFileSync(
    file,
    stringify({
      nodeName: n.name,
      datastore,
      bgp: { asn: NODE_ASN },
      cni: { nodeFile: join(dir, 'node.json') },
      statusSocket: statusSocket(env.dir, n.name),
      metrics: { listen: `${n.ip4}:9493` },
      logLevel: 'info',
    }),
  );
  return file;
}

export function startAgent(env: LabEnv, s: LabState, node: LabNode, datastore: Record<string, unknown>): void {
  const config = agentConfig(env, s, node.plan, datastore);
  rmSync(statusSocket(env.dir, node.plan.name), { force: true });
  node.agent = startDaemon([process.execPath, distFile('meridian.js'), 'agent', '--config', config], {
    netns: node.netns,
    log: join(nodeDir(env.dir, node.plan.name), 'agent.log'),
  });
  writeState(env.dir, s);
}

/** Stop the node's agent (graceful: SIGTERM) and remove its namespace. */
export async function removeNode(env: LabEnv, s: LabState, node: LabNode): Promise<void> {
  if (node.agent !== undefined) await stopDaemon(node.agent);
  if (node.apiForwarder !== undefined) await stopDaemon(node.apiForwarder);
  await deleteNetns(env.run, node.netns);
  s.nodes = s.nodes.filter((x) => x !== node);
  s.namespaces = s.namespaces.filter((x) => x !== node.netns);
  writeState(env.dir, s);
}

// A "node" for CNI tests: a node namespace with an uplink to an "up" namespace (the rest of the
// network), addresses on both ends and a default route, with forwarding on as the agent sets it.
// The default route matters: proxy ARP answers only for addresses the node can route (169.254.1.1
// falls under the default route), and the uplink's MTU is the plugin's default MTU.

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withWorld, type Netns, type World } from './netns.js';
import { execRunner } from '../../src/net/exec.js';
import { ipBatch } from '../../src/net/ip.js';

export const NODE_IP4 = '10.99.0.1';
export const NODE_IP6 = 'fd99::1';
export const UP_IP4 = '10.99.0.254';
export const UP_IP6 = 'fd99::fe';
export const UPLINK_MTU = 1450;

export interface CniNode {
  readonly node: Netns;
  readonly up: Netns;
  readonly dataDir: string;
  readonly tmp: string;
  /** A fresh pod namespace; returns it and its CNI_NETNS path. */
  pod(role?: string): Promise<{ ns: Netns; path: string }>;
  /** IPAM allocations as the store holds them. */
  allocations(network: string): Promise<{ containerId: string; ifname: string; ip: string; at: number; netns?: string; hostVeth?: string }[]>;
  /** Links in the node namespace whose name starts with mrd. */
  hostVeths(): Promise<string[]>;
  dispose(): Promise<void>;
}

export async function cniNode(w: World): Promise<CniNode> {
  const node = await w.netns('node');
  const up = await w.netns('up');
  await w.link(node, up, { addrA: [`${NODE_IP4}/24`, `${NODE_IP6}/64`], addrB: [`${UP_IP4}/24`, `${UP_IP6}/64`], mtu: UPLINK_MTU });
  await ipBatch(execRunner, [`route add default via ${UP_IP4}`, `route add ::/0 via ${UP_IP6}`], { netns: node.name });
  await ipBatch(execRunner, [`route add 10.244.0.0/16 via ${NODE_IP4}`, `route add fd00:10:244::/48 via ${NODE_IP6}`], { netns: up.name });
  // Node-wide forwarding is the agent's job, not the plugin's.
  await w.sysctl(node, { 'net.ipv4.ip_forward': 1, 'net.ipv6.conf.all.forwarding': 1 });
  const tmp = await mkdtemp(join(tmpdir(), 'mrd-cni-'));
  const dataDir = join(tmp, 'ipam');
  let seq = 0;
  return {
    node,
    up,
    dataDir,
    tmp,
    async pod(role = `pod${++seq}`) {
      const ns = await w.netns(role);
      return { ns, path: `/run/netns/${ns.name}` };
    },
    async allocations(network) {
      try {
        const doc = JSON.parse(await readFile(join(dataDir, network, 'allocations.json'), 'utf8')) as {
          allocations: { containerId: string; ifname: string; ip: string; at: number; hostVeth?: string }[];
        };
        return doc.allocations;
      } catch {
        return [];
      }
    },
    async hostVeths() {
      const r = await w.exec(node, ['ip', '-json', 'link', 'show']);
      return (JSON.parse(r.stdout) as { ifname: string }[]).map((l) => l.ifname).filter((n) => n.startsWith('mrd'));
    },
    async dispose() {
      await rm(tmp, { recursive: true, force: true });
    },
  };
}

/** A world with one CNI node in it, both cleaned up afterwards, pass or fail. */
export async function withCniNode(body: (w: World, n: CniNode) => Promise<void>): Promise<void> {
  await withWorld(async (w) => {
    const n = await cniNode(w);
    try {
      await body(w, n);
    } finally {
      await n.dispose();
    }
  });
}

/** One ping from `ns`; true when answered. */
export async function ping(w: World, ns: Netns, dst: string): Promise<boolean> {
  const r = await w.exec(ns, ['ping', ...(dst.includes(':') ? ['-6'] : []), '-c', '1', '-W', '2', dst], { okExitCodes: [1, 2] });
  return r.exitCode === 0;
}

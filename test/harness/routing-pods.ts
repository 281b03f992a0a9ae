// Pods on routing-test nodes, wired the way kubelet would: a real CNI ADD of meridian-cni inside
// the node namespace, with `usePodCidr` resolved from the node file that node's agent wrote
// (cni.nodeFile). Plus small probes the routing tests share: ping, a TCP exchange, our kernel
// routes.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execRunner } from '../../src/net/exec.js';
import { listRoutes, type KernelRoute } from '../../src/net/ip.js';
import { CniRuntime } from './cni-runtime.js';
import type { MeridianNode } from './meridian-node.js';
import type { Netns, World } from './netns.js';
import { waitFor } from './wait.js';

export interface Pod {
  readonly ns: Netns;
  readonly ip: string;
}

/** CNI ADD of one pod on `node` (its namespace `nodeNs`), once the agent has written the node file. */
export async function cniPod(w: World, nodeNs: Netns, node: MeridianNode, name: string): Promise<Pod> {
  await waitFor(() => existsSync(node.nodeFile), { timeoutMs: 15_000, what: `${node.name}'s agent to write its CNI node file` }).catch((e: unknown) => {
    throw new Error(`${(e as Error).message}\n${node.logs()}`);
  });
  const rt = new CniRuntime({
    nodeNs: nodeNs.name,
    list: {
      cniVersion: '1.0.0',
      name: 'meridian',
      plugins: [{ type: 'meridian-cni', mtu: 1500, nodeFile: node.nodeFile, ipam: { ranges: [[{ subnet: 'usePodCidr' }]], dataDir: join(node.dir, `ipam-${node.name}`) } }],
    },
  });
  const ns = await w.netns(name);
  const r = await rt.add({ containerId: name, netns: `/run/netns/${ns.name}`, pod: { namespace: 'default', name } });
  const ip = ((r['ips'] as { address: string }[])[0]?.address ?? '').split('/')[0] ?? '';
  return { ns, ip };
}

/** Our (protocol 180) IPv4 routes in a namespace, by destination with its length. */
export async function ourRoutes(ns: Netns): Promise<Map<string, KernelRoute>> {
  const rs = await listRoutes(execRunner, { family: 4, protocol: 180, netns: ns.name });
  return new Map(rs.map((r) => [r.dst === 'default' ? '0.0.0.0/0' : r.dst.includes('/') ? r.dst : `${r.dst}/32`, r]));
}

export async function canPing(w: World, from: Netns, to: string, count = 2): Promise<boolean> {
  const r = await w.exec(from, ['ping', '-c', String(count), '-i', '0.2', '-W', '2', to], { okExitCodes: [1, 2] });
  return r.exitCode === 0 && r.stdout.includes(`${count} received`);
}

/** A TCP exchange: a server in `to` answers; the server must see `from`'s own address (no NAT). */
export async function tcpExchange(w: World, from: Pod, to: Pod, port = 8080): Promise<void> {
  const server = w.spawn(to.ns, ['nc', '-lvn', '-p', String(port)]);
  await waitFor(async () => (await w.exec(to.ns, ['ss', '-ltn'])).stdout.includes(`:${port}`), { timeoutMs: 5000, what: 'nc to listen' });
  await w.exec(from.ns, ['sh', '-c', `echo hello-${from.ip} | nc -w 3 -N ${to.ip} ${port}`]);
  await waitFor(() => server.output().stdout.includes(`hello-${from.ip}`), { timeoutMs: 5000, what: `the server in ${to.ns.role} to receive the client's line` });
  const log = server.output().stderr + server.output().stdout;
  if (!log.includes(from.ip)) throw new Error(`the server saw another source address than ${from.ip}: ${log}`);
}

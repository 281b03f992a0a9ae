// The kernel edge of the plugin: runs the plans from plan.ts through src/net and reads back what
// CHECK and ADD need. It decides nothing. Exec budget per ADD: one `ip -batch` in the node netns,
// one in the pod netns (through nsenter, since CNI_NETNS is a path, which `ip -n` cannot take),
// and one `ip -json -batch` read when the MTU is not configured. Sysctls are written through
// /proc/sys (no exec).

import { deleteLink, ipBatch, ipJsonBatch } from '../net/ip.js';
import { procSysctlRead, procSysctlWrite } from '../net/proc-sysctl.js';
import type { Runner } from '../net/runner.js';
import type { PodRoute } from './ipam/recover.js';
import { ROUTE_PROTOCOL_POD } from './names.js';
import { planHostAdd, planHostObserve, planHostSysctls, planPodAdd, planPodObserve, type Wiring } from './plan.js';
import { uplinkMtu, type LinkRow, type RouteRow } from './uplink.js';
import type { Expected, ObservedLink, ObservedRoute } from './verify.js';

/** The MTU of the node's uplink (uplink.ts decides: ECMP default routes count every next hop). */
export async function detectUplinkMtu(run: Runner): Promise<number> {
  const [r4 = [], r6 = [], links = []] = await ipJsonBatch(run, ['route show default', 'route show table all ::/0', 'link show']);
  return uplinkMtu(r4 as RouteRow[], r6 as RouteRow[], links as LinkRow[]);
}

/**
 * The node's host routes to pods (protocol ROUTE_PROTOCOL_POD, main table), both families, in one
 * exec: what the IPAM state is rebuilt from when its file is corrupt (ipam/recover.ts).
 */
export async function readPodRoutes(run: Runner): Promise<PodRoute[]> {
  const p = String(ROUTE_PROTOCOL_POD);
  // A prefix selects the family in batch mode (no -4/-6 there); "root ::/0" is every IPv6 route.
  const rows = await ipJsonBatch(run, [`route show table all root 0.0.0.0/0 proto ${p}`, `route show table all root ::/0 proto ${p}`]);
  return rows.flat().filter((r) => {
    const t = (r as { table?: string }).table;
    return t === undefined || t === 'main';
  }) as PodRoute[];
}

export async function wireHost(run: Runner, w: Wiring): Promise<void> {
  await ipBatch(run, planHostAdd(w));
  await procSysctlWrite(planHostSysctls(w));
}

export async function wirePod(run: Runner, w: Wiring): Promise<void> {
  await ipBatch(run, planPodAdd(w), { netns: w.netns });
}

/** Deleting the host end deletes the pair, the pod end, and the routes through it. */
export async function unwire(run: Runner, hostVeth: string): Promise<boolean> {
  return deleteLink(run, hostVeth);
}

/** Whether the host veth exists, by name, through /proc/sys (no exec): its conf dir exists iff it does. */
export async function hostVethExists(name: string): Promise<boolean> {
  return procSysctlRead(`net/ipv4/conf/${name}/forwarding`).then(
    () => true,
    () => false,
  );
}

export interface ObservedKernel {
  readonly hostLink: ObservedLink | undefined;
  readonly hostRoutes: readonly (readonly ObservedRoute[])[];
  readonly proxyArp: string | undefined;
  readonly podLink: ObservedLink | undefined;
  readonly podRoutes4: readonly ObservedRoute[];
  readonly podRoutes6: readonly ObservedRoute[];
}

export async function observeAttachment(run: Runner, exp: Expected, netns: string): Promise<ObservedKernel> {
  // A missing device makes `ip -batch` fail on that line; then that side is simply absent.
  const [host, pod, proxyArp] = await Promise.all([
    (await hostVethExists(exp.hostVeth))
      ? ipJsonBatch(run, planHostObserve(exp), { details: true })
      : Promise.resolve(undefined),
    ipJsonBatch(run, planPodObserve(exp), { netns, details: true }).catch(() => undefined),
    procSysctlRead(`net/ipv4/conf/${exp.hostVeth}/proxy_arp`).catch(() => undefined),
  ]);
  const main = (rows: unknown[] | undefined): ObservedRoute[] =>
    ((rows ?? []) as (ObservedRoute & { table?: string })[]).filter((r) => r.table === undefined || r.table === 'main');
  return {
    hostLink: host?.[0]?.[0] as ObservedLink | undefined,
    hostRoutes: (host?.slice(1) ?? []).map(main),
    proxyArp,
    podLink: pod?.[0]?.[0] as ObservedLink | undefined,
    podRoutes4: (pod?.[1] ?? []) as ObservedRoute[],
    podRoutes6: main(pod?.[2]),
  };
}

// What one pod attachment is in the kernel, as data: the host batch, the host-side sysctls and the
// pod batch, each applied in one go by wiring.ts. Pure. The layout is Calico's (research/calico.md
// §2.2), because it keeps every pod packet on the host where policy and BGP routes apply:
//
//   pod netns                                  node netns
//   eth0  10.244.1.5/32, fd00::5/128    <-->   mrd<hash>  ee:ee:ee:ee:ee:ee, fe80::ecee:eeff:feee:eeee
//         169.254.1.1 dev eth0 scope link      proxy_arp=1 (answers ARP for 169.254.1.1)
//         default via 169.254.1.1              10.244.1.5/32 dev mrd<hash> scope link proto 181
//         ::/0 via fe80::ecee:eeff:feee:eeee   fd00::5/128 dev mrd<hash> proto 181
//
// The veth is created in the node netns with its peer placed straight into the pod netns, so the
// pair is never moved (a netns move serialises on rtnl_lock; research/calico.md §2.6).

import { batchLine } from '../net/batch-line.js';
import { GATEWAY_V4, GATEWAY_V6, HOST_MAC, ROUTE_PROTOCOL_POD } from './names.js';
import type { CniResult } from './result.js';
import type { Dns } from './conf.js';

export interface PodIp {
  readonly family: 4 | 6;
  /** Without prefix. */
  readonly ip: string;
}

export interface Wiring {
  readonly netns: string;
  readonly ifname: string;
  readonly hostVeth: string;
  readonly podMac: string;
  readonly mtu: number;
  readonly ips: readonly PodIp[];
}

const hostPrefix = (p: PodIp): string => `${p.ip}/${p.family === 4 ? 32 : 128}`;
const hasV6 = (w: Wiring): boolean => w.ips.some((p) => p.family === 6);

/** `ip -batch` lines for the node netns. */
export function planHostAdd(w: Wiring): string[] {
  const lines = [
    batchLine(['link', 'add', w.hostVeth, 'mtu', w.mtu, 'address', HOST_MAC, 'type', 'veth',
      'peer', 'name', w.ifname, 'mtu', w.mtu, 'address', w.podMac, 'netns', w.netns]),
  ];
  if (hasV6(w)) {
    // The pod's IPv6 gateway is this link-local. Added by hand with nodad and the kernel's own
    // generation off, because an autoconfigured one is tentative for ~1 s of DAD after link up and
    // the pod's first packets would find no router.
    lines.push(batchLine(['link', 'set', w.hostVeth, 'addrgenmode', 'none']));
    lines.push(batchLine(['addr', 'add', `${GATEWAY_V6}/64`, 'dev', w.hostVeth, 'nodad']));
  }
  lines.push(batchLine(['link', 'set', w.hostVeth, 'up']));
  for (const p of w.ips) {
    // replace, not add: a stale route for a reused address (left by a killed ADD) is taken over.
    const scope = p.family === 4 ? ['scope', 'link'] : [];
    lines.push(batchLine(['route', 'replace', hostPrefix(p), 'dev', w.hostVeth, ...scope, 'proto', ROUTE_PROTOCOL_POD]));
  }
  return lines;
}

/** Sysctls of the host veth only (never node-wide ones), as /proc/sys keys. */
export function planHostSysctls(w: Wiring): [string, string][] {
  const v = w.hostVeth;
  const out: [string, string][] = [
    // Answer the pod's ARP for 169.254.1.1 with our MAC: nobody owns that address.
    [`net/ipv4/conf/${v}/proxy_arp`, '1'],
    // Otherwise proxy replies wait a random 0-0.8 s (neigh proxy_delay), on every new pod's first packet.
    [`net/ipv4/neigh/${v}/proxy_delay`, '0'],
    // IPv4 forwarding is decided per ingress device: packets from the pod may be forwarded.
    [`net/ipv4/conf/${v}/forwarding`, '1'],
  ];
  if (hasV6(w)) {
    out.push([`net/ipv6/conf/${v}/accept_ra`, '0']);
    // Router behaviour on this link (NA router flag); the forwarding switch itself is node-wide
    // (conf/all/forwarding) and the agent's to set.
    out.push([`net/ipv6/conf/${v}/forwarding`, '1']);
  }
  return out;
}

/** `ip -batch` lines for the pod netns. */
export function planPodAdd(w: Wiring): string[] {
  const i = w.ifname;
  const lines: string[] = [];
  for (const p of w.ips) {
    // nodad: the /128 is unique by IPAM; DAD would hold it tentative for ~1 s.
    lines.push(batchLine(['addr', 'add', hostPrefix(p), 'dev', i, ...(p.family === 6 ? ['nodad'] : [])]));
  }
  lines.push(batchLine(['link', 'set', i, 'up']));
  if (w.ips.some((p) => p.family === 4)) {
    lines.push(batchLine(['route', 'add', GATEWAY_V4, 'dev', i, 'scope', 'link']));
    // add, not replace: a pod netns that already has a default route is not ours to rewrite.
    lines.push(batchLine(['route', 'add', 'default', 'via', GATEWAY_V4, 'dev', i]));
  }
  if (hasV6(w)) lines.push(batchLine(['route', 'add', '::/0', 'via', GATEWAY_V6, 'dev', i]));
  return lines;
}

/** The attachment's own result (host veth first, as ptp orders it; ips point at the pod interface). */
export function attachmentResult(w: Wiring, opts: { dns: Dns | undefined }): CniResult {
  return {
    interfaces: [
      { name: w.hostVeth, mac: HOST_MAC, mtu: w.mtu },
      { name: w.ifname, mac: w.podMac, mtu: w.mtu, sandbox: w.netns },
    ],
    ips: w.ips.map((p) => ({ address: hostPrefix(p), gateway: p.family === 4 ? GATEWAY_V4 : GATEWAY_V6, interface: 1 })),
    routes: w.ips.map((p) => (p.family === 4 ? { dst: '0.0.0.0/0', gw: GATEWAY_V4 } : { dst: '::/0', gw: GATEWAY_V6 })),
    ...(opts.dns !== undefined ? { dns: opts.dns } : {}),
  };
}

/** Reads for CHECK, as `ip -d -json -batch` lines, one JSON document per line in this order. */
export function planHostObserve(w: Pick<Wiring, 'hostVeth' | 'ips'>): string[] {
  return [
    batchLine(['link', 'show', 'dev', w.hostVeth]),
    // "table all": iproute2 6.1 in batch mode with "table main" keeps the IPv4 default family and
    // shows no IPv6 route; callers keep the main-table rows.
    ...w.ips.map((p) => batchLine(['route', 'show', 'table', 'all', hostPrefix(p)])),
  ];
}

export function planPodObserve(w: Pick<Wiring, 'ifname'>): string[] {
  return [
    batchLine(['addr', 'show', 'dev', w.ifname]),
    batchLine(['route', 'show', 'table', 'main']),
    // Batch lines take no -6; a v6 prefix selects the family (with "table all", see above).
    batchLine(['route', 'show', 'table', 'all', '::/0']),
  ];
}

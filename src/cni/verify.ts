// CHECK's judgement, pure: what prevResult and the IPAM store say should exist, against what the
// kernel shows. Returns every problem found (empty: healthy), so one CHECK reports them all.
// SPEC.md CHECK: verify what the plugin created and listed in prevResult (interface, addresses,
// routes) and untracked state (the IPAM reservation); allow later plugins' changes, so only our
// own objects are compared and extra addresses, routes or qdiscs are not faults.

import { sameIp } from './ip-addr.js';
import { GATEWAY_V4, GATEWAY_V6, HOST_MAC } from './names.js';
import type { PodIp } from './plan.js';

export interface ObservedLink {
  readonly ifindex?: number;
  /** A veth's peer's ifindex (in the netns link_netnsid names, when that is another one). */
  readonly link_index?: number;
  readonly ifname: string;
  readonly address?: string;
  readonly flags: readonly string[];
  readonly linkinfo?: { readonly info_kind?: string };
  readonly addr_info?: readonly { readonly family: string; readonly local: string; readonly prefixlen: number }[];
}

export interface ObservedRoute {
  readonly dst: string;
  readonly gateway?: string;
  readonly dev?: string;
  readonly scope?: string;
}

export interface Observed {
  readonly hostLink: ObservedLink | undefined;
  /** Per expected IP, in order: the main-table routes for exactly that /32 or /128. */
  readonly hostRoutes: readonly (readonly ObservedRoute[])[];
  readonly proxyArp: string | undefined;
  readonly podLink: ObservedLink | undefined;
  readonly podRoutes4: readonly ObservedRoute[];
  readonly podRoutes6: readonly ObservedRoute[];
  /** Addresses the IPAM store holds for this attachment. */
  readonly reserved: readonly string[];
}

export interface Expected {
  readonly ifname: string;
  readonly hostVeth: string;
  /** The host interface prevResult lists just before the pod's (ADD puts ours there), if any. */
  readonly resultHostVeth?: string | undefined;
  readonly podMac: string | undefined;
  readonly ips: readonly PodIp[];
}

const isUp = (l: ObservedLink): boolean => l.flags.includes('UP');

export function verifyAttachment(exp: Expected, obs: Observed): string[] {
  const problems: string[] = [];
  if (exp.resultHostVeth !== undefined && exp.resultHostVeth !== exp.hostVeth) {
    problems.push(`prevResult names host interface ${exp.resultHostVeth}, the IPAM record ${exp.hostVeth}`);
  }
  const host = obs.hostLink;
  if (host === undefined) problems.push(`host veth ${exp.hostVeth} is missing`);
  else {
    if (host.linkinfo?.info_kind !== undefined && host.linkinfo.info_kind !== 'veth') problems.push(`${exp.hostVeth} is a ${host.linkinfo.info_kind}, not a veth`);
    if (host.address?.toLowerCase() !== HOST_MAC) problems.push(`${exp.hostVeth} has MAC ${host.address ?? '?'}, want ${HOST_MAC}`);
    if (!isUp(host)) problems.push(`${exp.hostVeth} is down`);
  }
  if (exp.ips.some((p) => p.family === 4) && obs.proxyArp !== '1') problems.push(`proxy_arp on ${exp.hostVeth} is ${obs.proxyArp ?? 'unreadable'}, want 1`);
  exp.ips.forEach((p, i) => {
    const routes = obs.hostRoutes[i] ?? [];
    if (!routes.some((r) => r.dev === exp.hostVeth)) problems.push(`host route to ${p.ip} via ${exp.hostVeth} is missing`);
  });

  const pod = obs.podLink;
  if (pod === undefined) problems.push(`${exp.ifname} is missing in the container`);
  else {
    if (pod.linkinfo?.info_kind !== undefined && pod.linkinfo.info_kind !== 'veth') problems.push(`${exp.ifname} is a ${pod.linkinfo.info_kind}, not a veth`);
    if (exp.podMac !== undefined && pod.address?.toLowerCase() !== exp.podMac.toLowerCase()) {
      problems.push(`${exp.ifname} has MAC ${pod.address ?? '?'}, prevResult says ${exp.podMac}`);
    }
    if (!isUp(pod)) problems.push(`${exp.ifname} is down`);
    for (const p of exp.ips) {
      const want = p.family === 4 ? 32 : 128;
      if (!(pod.addr_info ?? []).some((a) => sameIp(a.local, p.ip) && a.prefixlen === want)) problems.push(`${exp.ifname} lacks ${p.ip}/${want}`);
    }
  }
  const onIf = (r: ObservedRoute): boolean => r.dev === undefined || r.dev === exp.ifname;
  if (exp.ips.some((p) => p.family === 4)) {
    if (!obs.podRoutes4.some((r) => r.dst === GATEWAY_V4 && onIf(r))) problems.push(`container route ${GATEWAY_V4} dev ${exp.ifname} is missing`);
    if (!obs.podRoutes4.some((r) => r.dst === 'default' && r.gateway === GATEWAY_V4 && onIf(r))) problems.push(`container default route via ${GATEWAY_V4} is missing`);
  }
  if (exp.ips.some((p) => p.family === 6) && !obs.podRoutes6.some((r) => r.dst === 'default' && r.gateway !== undefined && sameIp(r.gateway, GATEWAY_V6) && onIf(r))) {
    problems.push(`container default route via ${GATEWAY_V6} is missing`);
  }

  for (const p of exp.ips) {
    if (!obs.reserved.some((r) => sameIp(r, p.ip))) problems.push(`IPAM holds no reservation of ${p.ip} for this container`);
  }
  for (const r of obs.reserved) {
    if (!exp.ips.some((p) => sameIp(r, p.ip))) problems.push(`IPAM reserves ${r} for this container, which prevResult does not list`);
  }
  return problems;
}

/**
 * What ADD found when `ip link add` said "File exists" (the host veth name or CNI_IFNAME in the
 * pod is taken). SPEC.md ADD: "If an interface of the requested name already exists in the
 * container, the CNI plugin MUST return with an error", and runtimes should not ADD the same
 * (CNI_CONTAINERID, CNI_IFNAME) twice without a DEL. So:
 * - no CNI_IFNAME in the pod, only our host veth name taken: a stale veth (a killed ADD, or an
 *   older sandbox of the same pod, names.ts) -> replace it;
 * - CNI_IFNAME in the pod is this very attachment's (our record existed before this ADD, its MAC
 *   is the one ADD gives this containerID and ifname, and its peer is our host veth): the same ADD
 *   again, after a lost reply or a crash -> answer it idempotently, with the same result: as is
 *   when complete ('retry-complete'), rewired when a crash left it half done ('retry-partial');
 * - anything else in the pod under CNI_IFNAME is another owner's -> the spec's error, untouched.
 */
export type IfnameConflict = 'stale-host-veth' | 'retry-complete' | 'retry-partial' | 'foreign' | 'none';

export function classifyConflict(exp: Expected, obs: Observed, recordedBefore: boolean): IfnameConflict {
  const pod = obs.podLink;
  const host = obs.hostLink;
  if (pod === undefined) return host !== undefined ? 'stale-host-veth' : 'none';
  const sameMac = exp.podMac !== undefined && pod.address?.toLowerCase() === exp.podMac.toLowerCase();
  const peers = host?.ifindex !== undefined && pod.link_index === host.ifindex;
  if (!recordedBefore || !sameMac || !peers) return 'foreign';
  return verifyAttachment(exp, obs).length === 0 ? 'retry-complete' : 'retry-partial';
}

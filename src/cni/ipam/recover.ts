// The IPAM state rebuilt from the kernel, for when the state file is found corrupt. Pure: the
// caller reads the node's pod routes (wiring.ts readPodRoutes). Every pod this plugin wired has a
// host route `<ip>/32 dev mrd… proto 181` (and /128), which lives exactly as long as its veth, so
// the routes say which addresses are in use and behind which veth, though not for which
// container. Starting from an empty state instead would hand those addresses out again.

import { formatIp, parseIp } from '../ip-addr.js';
import { RECOVERED_CONTAINER_ID, type Allocation, type IpamState } from './allocator.js';

/** A host route to a pod, as `ip -json route show … proto 181` prints it (dst without /32 or /128). */
export interface PodRoute {
  readonly dst: string;
  readonly dev?: string;
}

export function recoveredState(routes: readonly PodRoute[], now: number): IpamState {
  const allocations: Allocation[] = [];
  const seen = new Set<string>();
  for (const r of routes) {
    const ip = parseIp(r.dst);
    if (ip === undefined || r.dev === undefined) continue;
    const text = formatIp(ip);
    if (seen.has(text)) continue;
    seen.add(text);
    allocations.push({ containerId: RECOVERED_CONTAINER_ID, ifname: r.dev, netns: undefined, ip: text, hostVeth: r.dev, at: now });
  }
  return { allocations, lastReserved: {} };
}

// Desired kernel routes from the BGP Loc-RIB and the node's own podCIDRs. Pure.
//
// - Every best path learned from a peer becomes a route via its next hop; an ECMP set becomes one
//   multipath route with a next hop per path. The kernel resolves the outgoing device from its
//   connected routes; next hops that are not on a connected subnet (a peer on the same L2
//   segment but another subnet) get `onlink` with the device named by `onlinkDevices`.
// - The node's own podCIDRs get a blackhole route, so traffic to an unallocated pod IP is
//   dropped here instead of bouncing back to the default route (and looping through the ToR).
//   Allocated pods have /32 routes of their own (the CNI plugin's), which are more specific.
// - Routes we originate ourselves (local paths) never become kernel routes.

import type { NextHop } from '../net/ip.js';
import type { Best } from '../bgp/rib/rib.js';
import type { RouteAttrs } from '../bgp/speaker/route-rules.js';
import type { DesiredRoute } from './plan.js';

export interface DesiredInput {
  readonly locRib: Iterable<Best<RouteAttrs>>;
  readonly blackholes: readonly string[];
  /** Next hop address -> device, for next hops reachable on a link but outside its subnets. */
  readonly onlinkDevices?: ReadonlyMap<string, string>;
}

export function desiredRoutes(input: DesiredInput): DesiredRoute[] {
  const out = new Map<string, DesiredRoute>();
  for (const b of input.locRib) {
    if (b.best.source.key === 'local') continue;
    const hops: NextHop[] = [];
    for (const p of b.multipath) {
      const gw = p.attrs.nextHop;
      if (gw === '' || hops.some((h) => h.gateway === gw)) continue;
      const dev = input.onlinkDevices?.get(gw);
      hops.push(dev !== undefined ? { gateway: gw, dev, onlink: true } : { gateway: gw });
    }
    if (hops.length > 0) out.set(b.best.prefix, { dst: b.best.prefix, type: 'unicast', nexthops: hops });
  }
  for (const cidr of input.blackholes) {
    // Our own podCIDR wins over anything a peer says about it.
    out.set(cidr, { dst: cidr, type: 'blackhole', nexthops: [] });
  }
  return [...out.values()].sort((a, b) => (a.dst < b.dst ? -1 : a.dst > b.dst ? 1 : 0));
}

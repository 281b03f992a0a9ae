// Desired kernel routes from the BGP Loc-RIB and the node's own podCIDRs. Pure.
//
// - Every best path learned from a peer becomes a route via its next hop; an ECMP set becomes one
//   multipath route with a next hop per path. Next hops the kernel cannot use as they are (not
//   on a connected subnet) come resolved in `nextHops` (next-hop.ts); a next hop resolved as
//   unreachable contributes nothing, and a route left with no next hop is not installed.
// - The node's own podCIDRs get a blackhole route, so traffic to an unallocated pod IP is
//   dropped here instead of bouncing back to the default route (and looping through the ToR).
//   Allocated pods have /32 routes of their own (the CNI plugin's), which are more specific.
// - Routes we originate ourselves (local paths) never become kernel routes.

import type { NextHop } from '../net/ip.js';
import type { Best } from '../bgp/rib/rib.js';
import type { RouteAttrs } from '../bgp/speaker/route-rules.js';
import type { ResolvedNextHop } from './next-hop.js';
import type { DesiredRoute } from './plan.js';

export interface DesiredInput {
  readonly locRib: Iterable<Best<RouteAttrs>>;
  readonly blackholes: readonly string[];
  /** BGP next hop -> how to reach it; absent: use it as the gateway, unchanged. */
  readonly nextHops?: ReadonlyMap<string, ResolvedNextHop>;
}

const sameHop = (a: NextHop, b: NextHop) => a.gateway === b.gateway && a.dev === b.dev && a.onlink === b.onlink;

/** The kernel route for one Loc-RIB entry (undefined: none, e.g. our own or no usable next hop). */
export function desiredRoute(b: Best<RouteAttrs> | undefined, nextHops?: ReadonlyMap<string, ResolvedNextHop>): DesiredRoute | undefined {
  if (b === undefined || b.best.source.key === 'local') return undefined;
  const hops: NextHop[] = [];
  for (const p of b.multipath) {
    const gw = p.attrs.nextHop;
    if (gw === '') continue;
    const r = nextHops?.get(gw);
    if (r?.type === 'unreachable') continue;
    const hop = r?.hop ?? { gateway: gw };
    // Two BGP next hops resolved through the same gateway are one kernel next hop.
    if (!hops.some((h) => sameHop(h, hop))) hops.push(hop);
  }
  return hops.length > 0 ? { dst: b.best.prefix, type: 'unicast', nexthops: hops } : undefined;
}

export function desiredRoutes(input: DesiredInput): DesiredRoute[] {
  const out = new Map<string, DesiredRoute>();
  for (const b of input.locRib) {
    const r = desiredRoute(b, input.nextHops);
    if (r !== undefined) out.set(r.dst, r);
  }
  for (const cidr of input.blackholes) {
    // Our own podCIDR wins over anything a peer says about it.
    out.set(cidr, { dst: cidr, type: 'blackhole', nexthops: [] });
  }
  return [...out.values()].sort((a, b) => (a.dst < b.dst ? -1 : a.dst > b.dst ? 1 : 0));
}

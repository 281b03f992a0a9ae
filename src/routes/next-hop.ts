// How a BGP next hop becomes a kernel next hop. Pure.
//
// The kernel accepts `via G` only when G is directly reachable: covered by a route without a
// gateway (a connected subnet, a device route). A peer on the node's own subnet (the mesh on one
// L2 segment, a ToR on the node's link) needs nothing more. A next hop that is not (an eBGP ToR
// peering from its loopback, a multihop peer) would make `ip route replace` fail with "Nexthop has
// invalid gateway", so it is resolved the way BIRD's `gateway recursive` and Calico do: through
// the kernel's own route to it (`ip route get NH`):
//   - no gateway on that route: NH is directly reachable, use it as it is;
//   - a gateway G (G != NH): forward to G on its device; G reaches NH;
//   - the route is `via NH onlink` itself: NH sits on that link, so `via NH dev D onlink`;
//   - no route (unreachable, prohibited): nothing can be installed for it.
// This is why a separate "onlink for peers on the same segment" setting is not needed: the
// connected route already makes same-subnet next hops valid, and anything else is resolved here.

import type { NextHop } from '../net/ip.js';

/** What `ip -json route get NH` said, reduced to what matters; undefined when it failed. */
export interface NextHopLookup {
  readonly type?: string;
  readonly gateway?: string;
  readonly dev?: string;
}

export type ResolvedNextHop = { readonly type: 'hop'; readonly hop: NextHop } | { readonly type: 'unreachable' };

export function resolveNextHop(nh: string, got: NextHopLookup | undefined): ResolvedNextHop {
  if (got === undefined || (got.type !== undefined && got.type !== 'unicast') || got.dev === undefined) return { type: 'unreachable' };
  if (got.gateway === undefined) return { type: 'hop', hop: { gateway: nh } };
  if (got.gateway === nh) return { type: 'hop', hop: { gateway: nh, dev: got.dev, onlink: true } };
  return { type: 'hop', hop: { gateway: got.gateway, dev: got.dev } };
}

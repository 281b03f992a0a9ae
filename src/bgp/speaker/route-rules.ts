// What a speaker does to a route crossing it, by the RFCs, before and beside configured policy.
// Pure.
//
// Import (RFC 4271 9.1.2, RFC 4456 8): a path whose AS_PATH holds our own AS, whose ORIGINATOR_ID
// is our router id, or whose CLUSTER_LIST holds our cluster id is a loop and is not used.
//
// Export (RFC 4271 5 and 9.1.3, RFC 4456, RFC 1997):
// - never back to the peer it came from;
// - iBGP-learned paths go to iBGP peers only by reflection: from a client to everyone, from a
//   non-client to clients only; reflecting sets ORIGINATOR_ID (if absent) and prepends our
//   cluster id to CLUSTER_LIST;
// - NO_ADVERTISE goes nowhere; NO_EXPORT and NO_EXPORT_SUBCONFED do not leave the AS;
// - towards eBGP: prepend our AS, NEXT_HOP = our address on that session, no LOCAL_PREF, no
//   ORIGINATOR_ID/CLUSTER_LIST, and MED only on routes we originate (RFC 4271 5.1.4: a MED
//   received from one AS is not passed to another);
// - towards iBGP: LOCAL_PREF always present (100 when absent), NEXT_HOP ours for originated
//   paths, unchanged for learned ones unless next-hop-self; reflected paths keep theirs even then
//   (RFC 4456 10: a reflector does not change NEXT_HOP; FRR's next-hop-self without `force`).
//
// Then the peer's export policy (exportRoute), after which LOCAL_PREF is stripped towards eBGP
// again: a policy's `set.localPref` must not make it leave the AS (RFC 4271 5.1.5).

import {
  asPathLength,
  attributesForPropagation,
  firstAs,
  type PathAttributes,
  type Prefix,
  prependAs,
  WellKnownCommunity,
} from '../wire/index.js';
import { bgpIdToNumber } from '../fsm/collision.js';
import type { Candidate } from '../rib/decision.js';
import type { RibPath } from '../rib/rib.js';
import { evaluatePolicy, type RoutePolicy } from './policy.js';

/** A path as the speaker stores it: the attributes (MP_* removed) and its next hop(s). */
export interface RouteAttrs {
  readonly pa: PathAttributes;
  /** IPv4 NEXT_HOP or IPv6 global next hop; "" for a route we originate (filled per peer). */
  readonly nextHop: string;
  readonly linkLocalNextHop?: string | undefined;
}

export interface LocalIdentity {
  readonly asn: number;
  readonly routerId: string;
  /** RFC 4456 7: defaults to the router id. */
  readonly clusterId: string;
}

export function isLoop(a: PathAttributes, me: LocalIdentity): string | undefined {
  for (const seg of a.asPath ?? []) if (seg.asns.includes(me.asn)) return 'own AS in AS_PATH';
  if (a.originatorId === me.routerId) return 'ORIGINATOR_ID is our router id';
  if ((a.clusterList ?? []).includes(me.clusterId)) return 'CLUSTER_LIST holds our cluster id';
  return undefined;
}

/** Decision-process view of a stored path. */
export function toCandidate(p: RibPath<RouteAttrs>): Omit<Candidate<RibPath<RouteAttrs>>, 'route' | 'source'> {
  const a = p.attrs.pa;
  return {
    localPref: a.localPref,
    asPathLength: asPathLength(a.asPath ?? []),
    neighborAs: firstAs(a.asPath ?? []),
    origin: a.origin ?? 'incomplete',
    med: a.med,
    originatorId: a.originatorId !== undefined ? bgpIdToNumber(a.originatorId) : undefined,
    clusterListLength: a.clusterList?.length,
  };
}

export interface ExportPeer {
  /** Source key of the peer (its address). */
  readonly key: string;
  readonly ebgp: boolean;
  readonly routeReflectorClient: boolean;
  readonly nextHopSelf: boolean;
  /** Our address on this peer's session, for NEXT_HOP. */
  readonly localAddress: string;
}

export interface ExportSource {
  /** "local" for originated routes, else the peer's key. */
  readonly key: string;
  readonly local: boolean;
  readonly ebgp: boolean;
  readonly routeReflectorClient: boolean;
  /** The peer's BGP identifier (dotted quad), for ORIGINATOR_ID when reflecting. */
  readonly bgpId: string;
}

/** The attributes to send `to` for a best path from `from`, or undefined to send nothing. */
export function exportAttributes(route: RouteAttrs, from: ExportSource, to: ExportPeer, me: LocalIdentity): RouteAttrs | undefined {
  if (from.key === to.key) return undefined;
  const a = route.pa;
  const cs = a.communities ?? [];
  if (cs.includes(WellKnownCommunity.NO_ADVERTISE)) return undefined;
  if (to.ebgp && (cs.includes(WellKnownCommunity.NO_EXPORT) || cs.includes(WellKnownCommunity.NO_EXPORT_SUBCONFED))) return undefined;

  const reflecting = !from.local && !from.ebgp && !to.ebgp;
  if (reflecting && !from.routeReflectorClient && !to.routeReflectorClient) return undefined;

  let pa: PathAttributes = attributesForPropagation(a);
  if (to.ebgp) {
    const { localPref: _lp, originatorId: _o, clusterList: _c, med, ...rest } = pa;
    pa = { ...rest, asPath: prependAs(a.asPath ?? [], me.asn), ...(from.local && med !== undefined ? { med } : {}) };
    return { pa, nextHop: to.localAddress };
  }
  pa = { ...pa, localPref: a.localPref ?? 100, asPath: a.asPath ?? [], origin: a.origin ?? 'igp' };
  if (reflecting) {
    pa = { ...pa, originatorId: a.originatorId ?? from.bgpId, clusterList: [me.clusterId, ...(a.clusterList ?? [])] };
  }
  const selfNextHop = from.local || route.nextHop === '' || (to.nextHopSelf && !reflecting);
  // The global next hop only, never the link-local one the path came with: RFC 2545 3 ties a
  // link-local next hop to the advertising speaker's own link with the receiver, and FRR withdraws
  // a route whose link-local next hop it cannot tie to the session's interface ("sent a v6 LL
  // next-hop and there's no peer interface information"), which hit reflected BIRD routes.
  return selfNextHop ? { pa, nextHop: to.localAddress } : { pa, nextHop: route.nextHop };
}

/** The export rules, then the peer's export policy, then what no policy may override. */
export function exportRoute(
  route: RouteAttrs,
  opts: { readonly from: ExportSource; readonly to: ExportPeer; readonly me: LocalIdentity; readonly policy: RoutePolicy; readonly prefix: Prefix },
): RouteAttrs | undefined {
  const attrs = exportAttributes(route, opts.from, opts.to, opts.me);
  if (attrs === undefined) return undefined;
  const v = evaluatePolicy(opts.policy, opts.prefix, attrs.pa);
  if (!v.accepted) return undefined;
  if (!opts.to.ebgp) return { ...attrs, pa: v.attrs };
  const { localPref: _lp, ...pa } = v.attrs;
  return { ...attrs, pa };
}

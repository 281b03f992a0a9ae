// The Loc-RIB as the status API shows it (`GET /rib` on the status socket): one entry per prefix
// with the best path's attributes, so an operator (or a test) can see where a route came from,
// e.g. that a reflected route carries ORIGINATOR_ID and CLUSTER_LIST (RFC 4456 8). Pure.

import type { Best } from '../bgp/rib/rib.js';
import type { RouteAttrs } from '../bgp/speaker/route-rules.js';

export interface RibEntry {
  readonly prefix: string;
  /** Peer address the best path came from, or "local" for what this node originates. */
  readonly from: string;
  /** Next hops of the ECMP set (one per multipath member). */
  readonly nextHops: readonly string[];
  readonly asPath: readonly number[];
  readonly localPref?: number;
  readonly originatorId?: string;
  readonly clusterList?: readonly string[];
  readonly stale: boolean;
  /** The decision-process step that picked the best path. */
  readonly reason: string;
}

export function ribView(locRib: Iterable<Best<RouteAttrs>>): RibEntry[] {
  const out: RibEntry[] = [];
  for (const b of locRib) {
    const pa = b.best.attrs.pa;
    out.push({
      prefix: b.best.prefix,
      from: b.best.source.key,
      nextHops: [...new Set(b.multipath.map((p) => p.attrs.nextHop).filter((h) => h !== ''))],
      asPath: (pa.asPath ?? []).flatMap((s) => s.asns),
      ...(pa.localPref !== undefined ? { localPref: pa.localPref } : {}),
      ...(pa.originatorId !== undefined ? { originatorId: pa.originatorId } : {}),
      ...(pa.clusterList !== undefined ? { clusterList: pa.clusterList } : {}),
      stale: b.best.stale,
      reason: String(b.reason),
    });
  }
  return out.sort((a, b) => (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0));
}

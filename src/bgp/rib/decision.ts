// The BGP decision process, RFC 4271 9.1.2.2 with RFC 4456 9 for route reflection: from every
// feasible path to one prefix, pick the best, the set of equal-cost paths for ECMP, and the step
// that decided. Pure.
//
// The RFC describes elimination steps over the candidate set rather than a pairwise comparator,
// and that matters for MED: MEDs are only comparable between paths from the same neighbouring AS,
// so a pairwise sort is not transitive and can pick different winners depending on arrival order
// (the classic MED oscillation). Here each step filters the set, as written, in a fixed order:
//
//   local-pref  highest LOCAL_PREF (the degree of preference; 100 when absent)
//   as-path     fewest ASes in AS_PATH (an AS_SET counts 1, confederation segments 0)
//   origin      lowest ORIGIN (IGP < EGP < INCOMPLETE)
//   med         lowest MED among paths from the same neighbouring AS (missing MED = 0)
//   ebgp        eBGP-learned over iBGP-learned (and local routes over both)
//   igp-cost    lowest cost to the NEXT_HOP
//   --- paths still tied here are equal-cost: the ECMP set ---
//   cluster     shortest CLUSTER_LIST (RFC 4456 9)
//   router-id   lowest BGP Identifier, ORIGINATOR_ID standing in for it when present (RFC 4456 9)
//   peer        lowest peer address

import { parseIpValue } from '../../ip/address.js';

export type Origin = 'igp' | 'egp' | 'incomplete';

const ORIGIN_RANK: Readonly<Record<Origin, number>> = { igp: 0, egp: 1, incomplete: 2 };

/** What the decision process reads of one path. The RIB derives it from the path attributes. */
export interface Candidate<T = unknown> {
  /** Where the path came from: a peer, or `local` for what this speaker originates. */
  readonly source: { readonly type: 'local' } | { readonly type: 'peer'; readonly address: string; readonly bgpId: number; readonly ebgp: boolean };
  readonly localPref?: number | undefined;
  readonly asPathLength: number;
  /** First AS of the AS_PATH (the neighbouring AS, for MED comparability); undefined if empty. */
  readonly neighborAs: number | undefined;
  readonly origin: Origin;
  readonly med?: number | undefined;
  readonly igpCost?: number | undefined;
  readonly originatorId?: number | undefined;
  readonly clusterListLength?: number | undefined;
  /** Carried through untouched: the route the caller wants back. */
  readonly route: T;
}

export type DecisionStep = 'only-path' | 'local-pref' | 'as-path' | 'origin' | 'med' | 'ebgp' | 'igp-cost' | 'cluster' | 'router-id' | 'peer';

export interface DecisionOptions {
  /** Paths from different neighbouring ASes may share the ECMP set (FRR's as-path multipath-relax). */
  readonly multipathRelax?: boolean;
  /** Largest ECMP set; 1 disables multipath. Default 16. */
  readonly maxPaths?: number;
  /** Compare MED between paths from different neighbouring ASes too (always-compare-med). */
  readonly alwaysCompareMed?: boolean;
}

export interface Decision<T> {
  readonly best: Candidate<T>;
  /** Best first, then the other equal-cost paths; length 1 without ECMP. */
  readonly multipath: readonly Candidate<T>[];
  /** The step that left the best path alone (`only-path` when there was one candidate). */
  readonly reason: DecisionStep;
}

export const DEFAULT_LOCAL_PREF = 100;

function keepMin<T>(cs: readonly Candidate<T>[], key: (c: Candidate<T>) => number): Candidate<T>[] {
  const min = Math.min(...cs.map(key));
  return cs.filter((c) => key(c) === min);
}

/** MED step: within each neighbouring-AS group keep only the lowest MED; groups never compete. */
function filterMed<T>(cs: readonly Candidate<T>[], always: boolean): Candidate<T>[] {
  const med = (c: Candidate<T>) => c.med ?? 0;
  if (always) return keepMin(cs, med);
  const minByAs = new Map<number | undefined, number>();
  for (const c of cs) minByAs.set(c.neighborAs, Math.min(minByAs.get(c.neighborAs) ?? Infinity, med(c)));
  return cs.filter((c) => med(c) === minByAs.get(c.neighborAs));
}

/** Lower is better: local routes, then eBGP, then iBGP. */
function sourceRank<T>(c: Candidate<T>): number {
  if (c.source.type === 'local') return 0;
  return c.source.ebgp ? 1 : 2;
}

function routerId<T>(c: Candidate<T>): number {
  if (c.originatorId !== undefined) return c.originatorId;
  return c.source.type === 'peer' ? c.source.bgpId : 0;
}

/** Numeric comparison of peer addresses: IPv4 as 32-bit, IPv6 as 128-bit; local sorts first. */
export function compareAddresses(a: string, b: string): number {
  const ka = addressKey(a);
  const kb = addressKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function addressKey(addr: string): bigint {
  const ip = parseIpValue(addr);
  if (ip === undefined) return -1n;
  // IPv6 sorts after every IPv4 address.
  return ip.family === 6 ? ip.value + (1n << 32n) : ip.value;
}

function peerAddress<T>(c: Candidate<T>): string {
  return c.source.type === 'peer' ? c.source.address : '0.0.0.0';
}

/** Run the decision process; undefined when there is no candidate. */
export function decide<T>(candidates: readonly Candidate<T>[], opts: DecisionOptions = {}): Decision<T> | undefined {
  if (candidates.length === 0) return undefined;
  const first = candidates[0] as Candidate<T>;
  if (candidates.length === 1) return { best: first, multipath: [first], reason: 'only-path' };

  let set: Candidate<T>[] = [...candidates];
  let reason: DecisionStep | undefined;
  const narrow = (step: DecisionStep, next: Candidate<T>[]) => {
    if (reason === undefined && next.length === 1) reason = step;
    set = next;
  };
  narrow('local-pref', keepMin(set, (c) => -(c.localPref ?? DEFAULT_LOCAL_PREF)));
  narrow('as-path', keepMin(set, (c) => c.asPathLength));
  narrow('origin', keepMin(set, (c) => ORIGIN_RANK[c.origin]));
  narrow('med', filterMed(set, opts.alwaysCompareMed ?? false));
  narrow('ebgp', keepMin(set, sourceRank));
  narrow('igp-cost', keepMin(set, (c) => c.igpCost ?? 0));
  const equalCost = set;

  narrow('cluster', keepMin(set, (c) => c.clusterListLength ?? 0));
  narrow('router-id', keepMin(set, routerId));
  const sorted = [...set].sort((a, b) => compareAddresses(peerAddress(a), peerAddress(b)));
  const best = sorted[0] as Candidate<T>;
  if (reason === undefined) reason = 'peer';

  const maxPaths = opts.maxPaths ?? 16;
  const multipath = [
    best,
    ...equalCost
      .filter((c) => c !== best && c.source.type === 'peer')
      .filter((c) => (opts.multipathRelax ?? false) || c.neighborAs === best.neighborAs)
      .sort((a, b) => compareAddresses(peerAddress(a), peerAddress(b))),
  ].slice(0, Math.max(1, maxPaths));
  return { best, multipath: best.source.type === 'local' ? [best] : multipath, reason };
}

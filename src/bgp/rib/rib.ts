// Adj-RIB-In and Loc-RIB for one address family (RFC 4271 3.2), generic over the path attributes:
// the RIB stores paths per prefix and per source, runs the decision process for every prefix that
// changed, and reports how the Loc-RIB moved. The export side (Adj-RIB-Out) and the import filter
// sit outside it; attributes reach the decision process through `toCandidate`.
//
// Graceful restart (RFC 4724 4.2, helper side) lives here too: when a peer's session drops
// gracefully its paths are kept and marked stale; they stay usable for forwarding until the peer
// sends End-of-RIB (stale paths not refreshed by then are removed) or the restart timer runs out
// (the caller then calls flushStale).
//
// A class because it owns state with a lifetime (the tables); every method is synchronous and does
// no I/O, so it is tested like a pure function.

import { decide, type Candidate, type DecisionOptions, type DecisionStep } from './decision.js';

/** Where a path came from: a peer address, or "local" for routes this speaker originates. */
export type SourceKey = string;
export const LOCAL_SOURCE: SourceKey = 'local';

export interface SourceInfo {
  readonly key: SourceKey;
  /** Peer BGP identifier (unsigned 32-bit); 0 for local. */
  readonly bgpId: number;
  readonly ebgp: boolean;
}

export interface RibPath<A> {
  readonly prefix: string;
  readonly source: SourceInfo;
  readonly attrs: A;
  /** Kept from a gracefully restarting peer, not yet refreshed (RFC 4724). */
  readonly stale: boolean;
}

export interface Best<A> {
  readonly best: RibPath<A>;
  readonly multipath: readonly RibPath<A>[];
  readonly reason: DecisionStep;
}

/** One prefix whose Loc-RIB entry changed: `now` undefined means no path is left. */
export interface LocRibChange<A> {
  readonly prefix: string;
  readonly now: Best<A> | undefined;
  readonly before: Best<A> | undefined;
}

export type ToCandidate<A> = (path: RibPath<A>) => Omit<Candidate<RibPath<A>>, 'route' | 'source'>;

export interface RibOptions<A> {
  readonly toCandidate: ToCandidate<A>;
  readonly decision?: DecisionOptions;
}

function sameBest<A>(a: Best<A> | undefined, b: Best<A> | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.best === b.best && a.multipath.length === b.multipath.length && a.multipath.every((p, i) => p === b.multipath[i]);
}

export class Rib<A> {
  /** prefix -> source -> path: Adj-RIB-In of every peer plus our local routes, post import policy. */
  private readonly paths = new Map<string, Map<SourceKey, RibPath<A>>>();
  private readonly loc = new Map<string, Best<A>>();
  /** Paths per source, kept up to date so max-prefix and status need no scan. */
  private readonly counts = new Map<SourceKey, number>();
  private readonly opts: RibOptions<A>;

  constructor(opts: RibOptions<A>) {
    this.opts = opts;
  }

  /** Add or replace the path from `source` for `prefix` (an UPDATE's NLRI, or an origination). */
  upsert(prefix: string, source: SourceInfo, attrs: A): LocRibChange<A>[] {
    let bySource = this.paths.get(prefix);
    if (bySource === undefined) {
      bySource = new Map();
      this.paths.set(prefix, bySource);
    }
    if (!bySource.has(source.key)) this.counts.set(source.key, (this.counts.get(source.key) ?? 0) + 1);
    bySource.set(source.key, { prefix, source, attrs, stale: false });
    return this.recompute([prefix]);
  }

  /** Remove the path from `source` (a withdrawal, treat-as-withdraw, or an import filter reject). */
  withdraw(prefix: string, source: SourceKey): LocRibChange<A>[] {
    const bySource = this.paths.get(prefix);
    if (bySource === undefined || !bySource.delete(source)) return [];
    this.counts.set(source, (this.counts.get(source) ?? 1) - 1);
    if (bySource.size === 0) this.paths.delete(prefix);
    return this.recompute([prefix]);
  }

  /** The peer's session is gone for good: drop everything it sent. */
  dropSource(source: SourceKey): LocRibChange<A>[] {
    return this.removeWhere(source, () => true);
  }

  /** The peer restarts gracefully: keep its paths, marked stale. */
  markStale(source: SourceKey): void {
    for (const bySource of this.paths.values()) {
      const p = bySource.get(source);
      if (p !== undefined) bySource.set(source, { ...p, stale: true });
    }
    // Stale paths still win or lose as before: the marks change nothing in the Loc-RIB, but the
    // Best objects must point at the current path objects.
    for (const [prefix, b] of this.loc) {
      if (b.multipath.some((p) => p.source.key === source)) this.loc.set(prefix, this.rebuild(prefix) ?? b);
    }
  }

  /** End-of-RIB from the peer, or its restart timer expired: remove what it did not refresh. */
  flushStale(source: SourceKey): LocRibChange<A>[] {
    return this.removeWhere(source, (p) => p.stale);
  }

  /** Every path from `source` (its Adj-RIB-In after import policy). */
  pathsFrom(source: SourceKey): RibPath<A>[] {
    const out: RibPath<A>[] = [];
    for (const bySource of this.paths.values()) {
      const p = bySource.get(source);
      if (p !== undefined) out.push(p);
    }
    return out;
  }

  /** Number of paths from `source`. */
  countFrom(source: SourceKey): number {
    return this.counts.get(source) ?? 0;
  }

  hasPath(prefix: string, source: SourceKey): boolean {
    return this.paths.get(prefix)?.has(source) ?? false;
  }

  best(prefix: string): Best<A> | undefined {
    return this.loc.get(prefix);
  }

  /** The whole Loc-RIB, in no particular order. */
  locRib(): IterableIterator<Best<A>> {
    return this.loc.values();
  }

  get size(): number {
    return this.loc.size;
  }

  private removeWhere(source: SourceKey, pred: (p: RibPath<A>) => boolean): LocRibChange<A>[] {
    const touched: string[] = [];
    for (const [prefix, bySource] of this.paths) {
      const p = bySource.get(source);
      if (p === undefined || !pred(p)) continue;
      bySource.delete(source);
      this.counts.set(source, (this.counts.get(source) ?? 1) - 1);
      if (bySource.size === 0) this.paths.delete(prefix);
      touched.push(prefix);
    }
    return this.recompute(touched);
  }

  private rebuild(prefix: string): Best<A> | undefined {
    const bySource = this.paths.get(prefix);
    if (bySource === undefined) return undefined;
    const cands: Candidate<RibPath<A>>[] = [...bySource.values()].map((p) => ({
      ...this.opts.toCandidate(p),
      source: p.source.key === LOCAL_SOURCE ? { type: 'local' } : { type: 'peer', address: p.source.key, bgpId: p.source.bgpId, ebgp: p.source.ebgp },
      route: p,
    }));
    const d = decide(cands, this.opts.decision);
    if (d === undefined) return undefined;
    return { best: d.best.route, multipath: d.multipath.map((c) => c.route), reason: d.reason };
  }

  private recompute(prefixes: readonly string[]): LocRibChange<A>[] {
    const changes: LocRibChange<A>[] = [];
    for (const prefix of prefixes) {
      const before = this.loc.get(prefix);
      const now = this.rebuild(prefix);
      if (now === undefined) this.loc.delete(prefix);
      else this.loc.set(prefix, now);
      if (!sameBest(before, now)) changes.push({ prefix, now, before });
    }
    return changes;
  }
}

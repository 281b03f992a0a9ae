// Keeps the kernel's routes of our protocol equal to the desired set: observe (ip -json), plan
// (pure), apply (one ip -batch), coalescing bursts of changes into one reconcile. Routes of other
// protocols are never read or written.
//
// Two paths, one result:
// - full: the desired set from its source, against a fresh read of the kernel (`planRoutes`).
//   At the start, after setDesired (the plan changed), after a failed apply, and every
//   `resyncMs` (drift: someone else touched our routes).
// - incremental: only the destinations updateDesired() named since the last reconcile, against
//   the kernel state the last full read plus the ops applied since describe (`planChanges`). One
//   new route among 100,000 then costs a plan of one destination and a one-line batch, instead
//   of listing and diffing 100,000 routes (~0.5 s each time).
//
// `hold()` defers every reconcile: a restarting speaker (graceful restart, RFC 4724 4.1) keeps
// the routes a previous run installed until its peers have sent End-of-RIB, so forwarding never
// stops; `release()` then reconciles once, removing what was not re-learned.

import { applyRouteOps, listRoutes, type KernelRoute, type RouteOp } from '../net/ip.js';
import type { Runner } from '../net/runner.js';
import { afterOps, observedMap, planChanges, planRoutes, type DesiredRoute, type PlanOptions } from './plan.js';

export interface ProgrammerOptions extends PlanOptions {
  readonly run: Runner;
  readonly netns?: string | undefined;
  readonly debounceMs?: number;
  /** Longest a pending change waits while changes keep coming (default 100 ms). */
  readonly maxDelayMs?: number;
  /** Full read-back of the kernel at least this often (default 300 s). */
  readonly resyncMs?: number;
  readonly onApplied?: (ops: readonly RouteOp[], ms: number) => void;
  readonly onError?: (e: unknown) => void;
}

export type DesiredSource = () => readonly DesiredRoute[] | Promise<readonly DesiredRoute[]>;

export class RouteProgrammer {
  private readonly o: ProgrammerOptions;
  private source: DesiredSource = () => [];
  /** The desired set as of the last reconcile, plus updates since. */
  private want = new Map<string, DesiredRoute>();
  /** Our routes in the kernel as far as we know; undefined: read it again. */
  private have: Map<string, DesiredRoute> | undefined;
  private readonly dirty = new Set<string>();
  private fullPending = true;
  private lastFull = 0;
  private requestedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private held = false;
  private failures = 0;
  private stopped = false;

  constructor(o: ProgrammerOptions) {
    this.o = o;
  }

  /** How many routes that is, without listing them (metrics, cheap at 100k routes). */
  get installedCount(): number {
    return this.want.size;
  }

  /** The desired routes the kernel was last brought to (for status). */
  get installed(): DesiredRoute[] {
    return [...this.want.values()].sort((a, b) => (a.dst < b.dst ? -1 : a.dst > b.dst ? 1 : 0));
  }

  /** Routes of our protocol the kernel has now (read-only). */
  async observe(): Promise<KernelRoute[]> {
    const opts = { protocol: this.o.protocol, table: this.o.table, netns: this.o.netns };
    return [...(await listRoutes(this.o.run, { family: 4, ...opts })), ...(await listRoutes(this.o.run, { family: 6, ...opts }))];
  }

  /**
   * The whole desired set: a list, or a function computing it at reconcile time (so a burst of
   * changes costs one computation). The next reconcile is a full one.
   */
  setDesired(routes: readonly DesiredRoute[] | DesiredSource): void {
    this.source = typeof routes === 'function' ? routes : () => routes;
    this.fullPending = true;
    this.schedule();
  }

  /** Whether the next reconcile recomputes everything anyway (updates are then not needed). */
  get fullSyncPending(): boolean {
    return this.fullPending;
  }

  /**
   * Some destinations changed (undefined: no route any more). The source given to setDesired must
   * agree: a later full reconcile recomputes everything from it.
   */
  updateDesired(changes: Iterable<readonly [string, DesiredRoute | undefined]>): void {
    for (const [dst, r] of changes) {
      if (r === undefined) this.want.delete(dst);
      else this.want.set(dst, r);
      this.dirty.add(dst);
    }
    if (this.dirty.size > 0) this.schedule();
  }

  hold(): void {
    this.held = true;
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    this.schedule(0);
  }

  get isHeld(): boolean {
    return this.held;
  }

  private schedule(delay = this.o.debounceMs ?? 20): void {
    if (this.held || this.stopped) return;
    if (this.timer !== undefined) {
      // A table load keeps the event loop busy with UPDATEs, and a timer may not fire until the
      // whole table is in: measured, one 100,000-route batch applied only after 3 s of ingest.
      // Past maxDelayMs the reconcile starts from here instead, so the kernel is programmed in
      // chunks while the rest of the table still arrives (`ip` runs in its own process).
      if (performance.now() - this.requestedAt > (this.o.maxDelayMs ?? 100)) {
        clearTimeout(this.timer);
        this.timer = undefined;
        void this.kick();
      }
      return;
    }
    this.requestedAt = performance.now();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.kick();
    }, delay);
  }

  private async kick(): Promise<void> {
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    this.running = this.reconcile()
      .then(() => {
        this.failures = 0;
      })
      .catch((e: unknown) => {
        this.failures++;
        this.o.onError?.(e);
      })
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.schedule();
        } else if (this.failures > 0) {
          // A route the kernel refused (a next hop gone, a device down) is retried, backing off
          // to 30 s, instead of waiting for the next BGP change.
          this.schedule(Math.min(30_000, 500 * 2 ** Math.min(this.failures - 1, 6)));
        }
      });
    await this.running;
  }

  /** One reconcile (full or incremental, see the header). Returns the ops applied. */
  async reconcile(): Promise<readonly RouteOp[]> {
    const t0 = performance.now();
    const full = this.fullPending || this.have === undefined || t0 - this.lastFull > (this.o.resyncMs ?? 300_000);
    let ops: RouteOp[];
    let have: Map<string, DesiredRoute>;
    if (full) {
      this.fullPending = false;
      this.dirty.clear();
      const [desired, observed] = await Promise.all([this.source(), this.observe()]);
      // Updates that came in while we waited are newer than the source's answer: keep them
      // (they stay dirty for the next, incremental, reconcile).
      const want = new Map(desired.map((r) => [r.dst, r]));
      for (const dst of this.dirty) {
        const r = this.want.get(dst);
        if (r === undefined) want.delete(dst);
        else want.set(dst, r);
      }
      this.want = want;
      ops = planRoutes(desired, observed, this.o);
      have = observedMap(observed, this.o);
      this.lastFull = t0;
    } else {
      have = this.have ?? new Map();
      ops = planChanges(this.dirty, this.want, have, this.o);
      this.dirty.clear();
    }
    // Unknown until the apply succeeds: a failed batch may have applied part of its lines.
    this.have = undefined;
    await applyRouteOps(this.o.run, ops, { netns: this.o.netns });
    this.have = afterOps(have, ops);
    if (ops.length > 0) this.o.onApplied?.(ops, performance.now() - t0);
    return ops;
  }

  /** Wait for pending work (tests, shutdown). */
  async settle(): Promise<void> {
    while (this.timer !== undefined || this.running !== undefined) {
      if (this.running !== undefined) await this.running;
      else await new Promise((r) => setTimeout(r, 5));
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

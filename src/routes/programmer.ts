// Keeps the kernel's routes of our protocol equal to the desired set: observe (ip -json), plan
// (pure), apply (one ip -batch), coalescing bursts of changes into one reconcile. Routes of other
// protocols are never read or written.
//
// The desired set can be given as a function, evaluated once per reconcile: a BGP speaker taking in
// a full table changes its Loc-RIB thousands of times a second, and computing the whole desired set
// on every change made ingest quadratic (100k routes: most of the CPU went to desiredRoutes).
//
// `hold()` defers every reconcile: a restarting speaker (graceful restart, RFC 4724 4.1) keeps
// the routes a previous run installed until its peers have sent End-of-RIB, so forwarding never
// stops; `release()` then reconciles once, removing what was not re-learned.

import { applyRouteOps, listRoutes, type KernelRoute, type RouteOp } from '../net/ip.js';
import type { Runner } from '../net/runner.js';
import { planRoutes, type DesiredRoute, type PlanOptions } from './plan.js';

export interface ProgrammerOptions extends PlanOptions {
  readonly run: Runner;
  readonly netns?: string | undefined;
  /** Reconcile once changes have been quiet this long (default 20 ms)... */
  readonly debounceMs?: number;
  /** ...or this long after the first pending change, whichever comes first (default 1000 ms). */
  readonly maxDelayMs?: number;
  readonly onApplied?: (ops: readonly RouteOp[], ms: number) => void;
  readonly onError?: (e: unknown) => void;
}

export class RouteProgrammer {
  private readonly o: ProgrammerOptions;
  private desired: readonly DesiredRoute[] = [];
  private source: () => readonly DesiredRoute[] = () => this.desired;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private held = false;
  /** Routes of ours in the kernel at the last observation (for status). */
  installed: readonly DesiredRoute[] = [];

  constructor(o: ProgrammerOptions) {
    this.o = o;
  }

  /** Routes of our protocol the kernel has now (read-only). */
  async observe(): Promise<KernelRoute[]> {
    const opts = { protocol: this.o.protocol, table: this.o.table, netns: this.o.netns };
    return [...(await listRoutes(this.o.run, { family: 4, ...opts })), ...(await listRoutes(this.o.run, { family: 6, ...opts }))];
  }

  setDesired(routes: readonly DesiredRoute[]): void {
    this.source = () => routes;
    this.schedule();
  }

  /** The desired set changed; `compute` gives it and is called only when a reconcile runs. */
  setDesiredSource(compute: () => readonly DesiredRoute[]): void {
    this.source = compute;
    this.schedule();
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

  /** When the oldest change not yet reconciled arrived (for maxDelayMs). */
  private pendingSince: number | undefined;

  // Trailing debounce with a cap: a full table arriving is thousands of changes a second, and a
  // reconcile per 20 ms of them spent the event loop on observe/plan passes over a growing table
  // instead of on reading UPDATEs. Quiet for debounceMs, or maxDelayMs since the first change.
  private schedule(delay = this.o.debounceMs ?? 20): void {
    if (this.held) return;
    const now = performance.now();
    this.pendingSince ??= now;
    const wait = Math.max(0, Math.min(delay, this.pendingSince + (this.o.maxDelayMs ?? 1000) - now));
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pendingSince = undefined;
      void this.kick();
    }, wait);
  }

  private async kick(): Promise<void> {
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    this.running = this.reconcile()
      .then(() => undefined)
      .catch((e: unknown) => this.o.onError?.(e))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.schedule();
        }
      });
    await this.running;
  }

  /** One observe -> plan -> apply pass. Returns the ops applied. */
  async reconcile(): Promise<readonly RouteOp[]> {
    const t0 = performance.now();
    const desired = this.source();
    this.desired = desired;
    const ops = planRoutes(desired, await this.observe(), this.o);
    await applyRouteOps(this.o.run, ops, { netns: this.o.netns });
    this.installed = desired;
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
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.pendingSince = undefined;
  }
}

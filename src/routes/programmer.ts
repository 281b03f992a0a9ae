// Keeps the kernel's routes of our protocol equal to the desired set: observe (ip -json), plan
// (pure), apply (one ip -batch), coalescing bursts of changes into one reconcile. Routes of other
// protocols are never read or written.
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
  readonly debounceMs?: number;
  readonly onApplied?: (ops: readonly RouteOp[], ms: number) => void;
  readonly onError?: (e: unknown) => void;
}

export type DesiredSource = () => readonly DesiredRoute[] | Promise<readonly DesiredRoute[]>;

export class RouteProgrammer {
  private readonly o: ProgrammerOptions;
  private desired: readonly DesiredRoute[] | DesiredSource = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private held = false;
  private failures = 0;
  private stopped = false;
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

  /**
   * The routes to converge to: a list, or a function computing them at reconcile time. A function
   * lets a burst of changes (100,000 routes arrive in ~120 UPDATEs) cost one computation of the
   * desired set per reconcile rather than one per change.
   */
  setDesired(routes: readonly DesiredRoute[] | DesiredSource): void {
    this.desired = routes;
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

  private schedule(delay = this.o.debounceMs ?? 20): void {
    if (this.held || this.stopped) return;
    if (this.timer !== undefined) return;
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
      .then(() => undefined)
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

  /** One observe -> plan -> apply pass. Returns the ops applied. */
  async reconcile(): Promise<readonly RouteOp[]> {
    const t0 = performance.now();
    const d = this.desired;
    const [desired, observed] = await Promise.all([typeof d === 'function' ? d() : d, this.observe()]);
    const ops = planRoutes(desired, observed, this.o);
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
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

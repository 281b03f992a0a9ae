// PolicySyncer: keeps one node's kernel converged to the latest model, for the agent. It owns
// state with a lifetime (the latest model, what it last applied, a timer), so it is a class; the
// work is pure compile + plan, and the I/O is injected (observe/apply from writer.ts, a clock and
// a timer), so tests drive it with fakes and no real time passes.
//
// - update(model): coalesced; while a sync runs, later models replace each other and one more
//   sync follows. Changes are planned from the IR we applied last (plan-delta.ts, equal to
//   planning against assumed.ts's view of the kernel), so a pod or label change costs compile +
//   a diff of the changed sets + an ipset-only restore, with no kernel read-back. Pass
//   incremental.ts's compiler as `compile` so unchanged chains and sets are skipped by reference.
// - Every `resyncIntervalMs` (and after any failure) the next sync observes the kernel instead and
//   repairs whatever differs: a flushed chain, a moved hook, a missing set or member. A non-empty
//   plan on a resync with no model change counts as a repair (drift or tampering).
// - Before the first model nothing is applied: a restarted agent leaves the previous rules in
//   place (they keep enforcing) until it knows the cluster, then converges over them.
// - A failed apply is retried after `retryMs` with a kernel read-back, since its effect is unknown.

import type { Family } from '../net/ip.js';
import type { CompiledPolicy } from './ir.js';
import type { PolicyModel } from './model.js';
import { planDelta } from './plan-delta.js';
import { isEmptyPlan, planPolicy, type ObservedPolicy, type PolicyPlan } from './plan.js';

export interface Timer {
  cancel(): void;
}

export interface SyncerDeps {
  readonly compile: (model: PolicyModel) => CompiledPolicy;
  readonly observe: () => Promise<ObservedPolicy>;
  readonly apply: (plan: PolicyPlan) => Promise<void>;
  /** Milliseconds, monotonic is best. */
  readonly now: () => number;
  readonly setTimer: (ms: number, fn: () => void) => Timer;
  readonly families?: readonly Family[];
  readonly resyncIntervalMs?: number;
  readonly retryMs?: number;
}

export type SyncKind = 'incremental' | 'resync';

export interface SyncRecord {
  readonly kind: SyncKind;
  readonly at: number;
  readonly durationMs: number;
  readonly plan: PolicyPlan;
  /** A resync found the kernel different from what we had applied. */
  readonly repaired: boolean;
}

export interface SyncerStatus {
  readonly syncs: number;
  readonly repairs: number;
  readonly failures: number;
  readonly last?: SyncRecord;
  readonly lastError?: string;
}

export class PolicySyncer {
  private model: PolicyModel | undefined;
  private dirty = false;
  private needObserve = true;
  /** The IR whose plan was applied last: what the kernel holds, as far as we know. */
  private applied: CompiledPolicy | undefined;
  /** The model whose plan was applied last, successfully. */
  private appliedFrom: PolicyModel | undefined;
  private running: Promise<void> | undefined;
  private resyncTimer: Timer | undefined;
  private retryTimer: Timer | undefined;
  private stopped = false;
  private counts = { syncs: 0, repairs: 0, failures: 0 };
  private last: SyncRecord | undefined;
  private lastError: string | undefined;
  private readonly listeners: ((r: SyncRecord) => void)[] = [];

  constructor(private readonly deps: SyncerDeps) {}

  /** A new desired model (the whole cluster view). */
  update(model: PolicyModel): void {
    this.model = model;
    this.dirty = true;
    this.kick();
  }

  /** Start periodic resyncs. */
  start(): void {
    this.stopped = false;
    this.armResync();
  }

  stop(): void {
    this.stopped = true;
    this.resyncTimer?.cancel();
    this.retryTimer?.cancel();
    this.resyncTimer = this.retryTimer = undefined;
  }

  /** Force a resync now (read the kernel back, repair). */
  resync(): Promise<void> {
    this.needObserve = true;
    this.dirty = true;
    this.kick();
    return this.idle();
  }

  /** Resolves when no sync is running or pending. */
  async idle(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }

  /** The model last applied successfully (the same object update() got), for "is X enforced yet". */
  appliedModel(): PolicyModel | undefined {
    return this.appliedFrom;
  }

  onSync(fn: (r: SyncRecord) => void): void {
    this.listeners.push(fn);
  }

  status(): SyncerStatus {
    return { ...this.counts, ...(this.last !== undefined ? { last: this.last } : {}), ...(this.lastError !== undefined ? { lastError: this.lastError } : {}) };
  }

  private armResync(): void {
    if (this.stopped) return;
    this.resyncTimer = this.deps.setTimer(this.deps.resyncIntervalMs ?? 60_000, () => {
      this.resyncTimer = undefined;
      this.needObserve = true;
      this.dirty = true;
      this.kick();
      this.armResync();
    });
  }

  private armRetry(): void {
    if (this.stopped || this.retryTimer !== undefined) return;
    this.retryTimer = this.deps.setTimer(this.deps.retryMs ?? 1_000, () => {
      this.retryTimer = undefined;
      this.dirty = true;
      this.kick();
    });
  }

  private kick(): void {
    if (this.running !== undefined || this.model === undefined) return;
    this.running = this.loop().finally(() => {
      this.running = undefined;
    });
  }

  private async loop(): Promise<void> {
    while (this.dirty && this.model !== undefined) {
      this.dirty = false;
      const model = this.model;
      const kind: SyncKind = this.needObserve || this.applied === undefined ? 'resync' : 'incremental';
      const start = this.deps.now();
      try {
        const desired = this.deps.compile(model);
        const families = this.deps.families ?? [4, 6];
        const applied = this.applied;
        const plan = kind === 'resync' || applied === undefined ? planPolicy(desired, await this.deps.observe(), { families }) : planDelta(applied, desired, { families });
        if (!isEmptyPlan(plan)) await this.deps.apply(plan);
        // Repaired: the kernel needed changes although, by what we applied last, it needed none.
        const repaired = kind === 'resync' && !isEmptyPlan(plan) && applied !== undefined && isEmptyPlan(planDelta(applied, desired, { families }));
        this.applied = desired;
        this.appliedFrom = model;
        this.needObserve = false;
        this.counts.syncs++;
        if (repaired) this.counts.repairs++;
        this.last = { kind, at: start, durationMs: this.deps.now() - start, plan, repaired };
        this.lastError = undefined;
        for (const l of this.listeners) l(this.last);
      } catch (e) {
        this.counts.failures++;
        this.lastError = e instanceof Error ? e.message : String(e);
        this.applied = undefined;
        // Half applied: the kernel holds neither model (a later view equal to the old one must
        // not read as in force).
        this.appliedFrom = undefined;
        this.needObserve = true;
        this.armRetry();
        return;
      }
    }
  }
}

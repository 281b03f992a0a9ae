// One consistent view of the cluster for routing and policy, fed by a datastore's events.
//
// Invariants:
// - Nothing is delivered before every watched kind has completed its first listing: a view
//   with Nodes but not yet NetworkPolicies would program a node with no policy (fail open), one
//   with Pods but no Nodes would tear down routes. `syncGate` decides this, purely.
// - Deliveries are debounced (a relist or a burst of pod updates becomes one view) but never
//   delayed more than `maxDelayMs` after the first pending change, so a steady stream of events
//   cannot starve the kernel of updates.
// - A delivered view is a complete snapshot (every object, sorted), never a partial diff, so a
//   consumer that fails half-way simply converges on the next one.
// Time is injected (setTimer, now): tests drive it without real waits.

import type { DatastoreEvent } from '../k8s/datastore.js';
import type { WatchedKind } from '../k8s/kinds.js';
import type { KubeObject } from '../k8s/objects.js';
import { ClusterStore, type StoredProblem } from './cluster-store.js';

export interface Timer {
  cancel(): void;
}

export interface ClusterSnapshot {
  readonly version: number;
  /** viewDigest(objects). */
  readonly digest: string;
  readonly objects: readonly KubeObject[];
  readonly problems: readonly StoredProblem[];
}

export interface GateResult {
  readonly complete: boolean;
  readonly waitingFor: readonly WatchedKind[];
}

/** Has every kind completed its first listing? Pure. */
export function syncGate(synced: (k: WatchedKind) => boolean, kinds: readonly WatchedKind[]): GateResult {
  const waitingFor = kinds.filter((k) => !synced(k));
  return { complete: waitingFor.length === 0, waitingFor };
}

export interface ViewOptions {
  readonly kinds: readonly WatchedKind[];
  readonly debounceMs?: number;
  readonly maxDelayMs?: number;
  readonly now: () => number;
  readonly setTimer: (ms: number, fn: () => void) => Timer;
  readonly onView: (s: ClusterSnapshot) => void;
}

export interface ViewStatus {
  readonly synced: boolean;
  readonly waitingFor: readonly WatchedKind[];
  readonly version: number;
  readonly deliveredVersion: number | undefined;
  readonly objects: number;
  readonly problems: readonly StoredProblem[];
}

export class ClusterView {
  readonly store = new ClusterStore();
  private readonly opts: ViewOptions;
  private timer: Timer | undefined;
  private pendingSince: number | undefined;
  private delivered: number | undefined;

  constructor(opts: ViewOptions) {
    this.opts = opts;
  }

  gate(): GateResult {
    return syncGate((k) => this.store.synced(k), this.opts.kinds);
  }

  handle(e: DatastoreEvent): void {
    if (!this.store.apply(e)) return;
    if (!this.gate().complete) return;
    this.schedule();
  }

  private schedule(): void {
    const now = this.opts.now();
    this.pendingSince ??= now;
    const maxDelay = this.opts.maxDelayMs ?? 500;
    const delay = Math.max(0, Math.min(this.opts.debounceMs ?? 50, this.pendingSince + maxDelay - now));
    this.timer?.cancel();
    this.timer = this.opts.setTimer(delay, () => this.flush());
  }

  /** Deliver now if there is something new (also used at shutdown and by tests). */
  flush(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.pendingSince = undefined;
    if (!this.gate().complete || this.delivered === this.store.version) return;
    this.delivered = this.store.version;
    this.opts.onView({ version: this.store.version, digest: this.store.digest(), objects: this.store.list(), problems: this.store.problems() });
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  status(): ViewStatus {
    const g = this.gate();
    return {
      synced: g.complete,
      waitingFor: g.waitingFor,
      version: this.store.version,
      deliveredVersion: this.delivered,
      objects: this.store.count(),
      problems: this.store.problems(),
    };
  }
}

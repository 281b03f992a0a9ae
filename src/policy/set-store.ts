// The members of every set in use, kept up to date one pod at a time for the incremental compile
// (incremental.ts). Each set remembers what each pod contributed (set-specs.ts podEntries) and
// counts entries, so two pods sharing an address (or a pod in twice) never lose a member when one
// goes. The IR set (an IpSet, sorted) is rebuilt only when its members changed, and is otherwise
// the same object as last time: the delta planner (plan-delta.ts) skips sets by reference.

import type { Pod } from '../k8s/objects.js';
import type { IpSet } from './ir.js';
import { isActionable } from './model.js';
import { labelsOf, type ModelIndex } from './model-diff.js';
import { ipSetOf, namespaceMayMatch, podEntries, type SetSpec } from './set-specs.js';

interface SetState {
  readonly spec: SetSpec;
  readonly byPod: Map<string, readonly string[]>;
  readonly counts: Map<string, number>;
  ipset: IpSet | undefined;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export class SetStore {
  private readonly sets = new Map<string, SetState>();

  /** The set for `spec`, filled from every pod of `index` if it is new. */
  get(spec: SetSpec, index: ModelIndex): IpSet {
    let s = this.sets.get(spec.name);
    if (s === undefined) {
      s = { spec, byPod: new Map(), counts: new Map(), ipset: undefined };
      for (const [ns, pods] of index.podsByNs) {
        const labels = labelsOf(index, ns);
        if (!namespaceMayMatch(spec, ns, labels)) continue;
        for (const p of pods) this.put(s, `${p.namespace}/${p.name}`, p, labels);
      }
      this.sets.set(spec.name, s);
    }
    s.ipset ??= ipSetOf(s.spec, s.counts.keys());
    return s.ipset;
  }

  /** Re-evaluate one pod (undefined: it is gone) in every set. */
  updatePod(key: string, pod: Pod | undefined, index: ModelIndex): void {
    const labels = pod === undefined ? {} : labelsOf(index, pod.namespace);
    for (const s of this.sets.values()) this.put(s, key, pod, labels);
  }

  /** Forget sets no longer referred to (they are refilled from scratch if they come back). */
  retain(names: ReadonlySet<string>): void {
    for (const name of [...this.sets.keys()]) if (!names.has(name)) this.sets.delete(name);
  }

  private put(s: SetState, key: string, pod: Pod | undefined, labels: Readonly<Record<string, string>>): void {
    const next = pod === undefined || !isActionable(pod) ? [] : podEntries(s.spec, pod, labels);
    const prev = s.byPod.get(key) ?? [];
    if (sameList(prev, next)) return;
    for (const e of prev) {
      const n = (s.counts.get(e) ?? 0) - 1;
      if (n <= 0) s.counts.delete(e);
      else s.counts.set(e, n);
    }
    for (const e of next) s.counts.set(e, (s.counts.get(e) ?? 0) + 1);
    if (next.length === 0) s.byPod.delete(key);
    else s.byPod.set(key, next);
    // Counts can end where they began (an entry moved between two pods); rebuilding is still exact.
    s.ipset = undefined;
  }
}

// Plan from the IR applied last to the next IR, without the kernel's state: exactly the plan
// planPolicy(next, assumedAfter(prev)) gives (the property test in incremental.test.ts checks
// it), at the cost of what changed. The syncer uses it between resyncs: chains and sets that are
// the same objects as last time (incremental.ts reuses them) are skipped without a look, others
// are compared by rule tags or members, so a pod or label change elsewhere in the cluster costs a
// few set diffs, not a walk over tens of thousands of rules. Pure.

import type { Family } from '../net/ip.js';
import { ipsetLine } from '../net/ipset.js';
import { savedHooksOf, savedSetOf } from './assumed.js';
import type { Chain, CompiledPolicy, Table } from './ir.js';
import { chainDiffers, orderedPlan, planSet, tableText, type PlanOptions, type PolicyPlan } from './plan.js';
import { chainTags } from './render-iptables.js';

function sameTags(a: Chain, b: Chain): boolean {
  return !chainDiffers(a, chainTags(b));
}

function planTableDelta(prev: Table, want: Table | undefined): string | undefined {
  if (prev === want) return undefined;
  const had = new Map(prev.chains.map((c) => [c.name, c]));
  const wantChains = want?.chains ?? [];
  const changed = wantChains.filter((c) => {
    const old = had.get(c.name);
    return old === undefined || (old !== c && !sameTags(c, old));
  });
  const wanted = new Set(wantChains.map((c) => c.name));
  const stale = prev.chains.filter((c) => !wanted.has(c.name)).map((c) => c.name).sort();
  return tableText(changed, stale, want, savedHooksOf(prev));
}

/** Plan the change from `prev` (what was applied) to `next`; `null` removes everything of ours. */
export function planDelta(prev: CompiledPolicy, next: CompiledPolicy | null, opts: PlanOptions = {}): PolicyPlan {
  const families: readonly Family[] = opts.families ?? [4, 6];
  const before: string[] = [];
  const after: string[] = [];
  const had = new Map(prev.sets.filter((s) => families.includes(s.family)).map((s) => [s.name, s]));
  const wantSets = (next?.sets ?? []).filter((s) => families.includes(s.family));
  for (const s of wantSets) {
    const old = had.get(s.name);
    if (old === s) continue;
    planSet(s, old === undefined ? undefined : savedSetOf(old), before);
  }
  const wantNames = new Set(wantSets.map((s) => s.name));
  for (const name of [...had.keys()].sort()) if (!wantNames.has(name)) after.push(ipsetLine(['destroy', name]));
  const iptables: { family: Family; text: string }[] = [];
  for (const f of families) {
    const text = planTableDelta(f === 4 ? prev.v4 : prev.v6, next === null ? undefined : f === 4 ? next.v4 : next.v6);
    if (text !== undefined) iptables.push({ family: f, text });
  }
  return orderedPlan(before, iptables, after);
}

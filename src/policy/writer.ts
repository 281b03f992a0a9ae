// The policy applier: observe what of ours is in the kernel, plan (plan.ts), apply in the order
// the plan gives, through src/net with the Runner it is handed (the agent passes the real one,
// tests a fake or one bound to a test namespace). One apply is at most one `ipset restore` before,
// one `iptables-restore --noflush` per family, one `ipset restore` after; an unchanged state
// costs only the reads. A periodic resync is just another apply: tampered chains (tags that do not
// match) and missing sets or members are rewritten.

import type { Family } from '../net/ip.js';
import { ipsetRestore, ipsetSave, parseIpsetSave } from '../net/ipset.js';
import { iptablesRestore, iptablesSave, parseIptablesSave, type SavedTable } from '../net/iptables.js';
import type { Runner } from '../net/runner.js';
import type { CompiledPolicy } from './ir.js';
import { isOurSet } from './names.js';
import { isEmptyPlan, planPolicy, type ObservedPolicy, type PolicyPlan } from './plan.js';

export interface PolicyWriterOptions {
  readonly run: Runner;
  readonly netns?: string;
  /** Families to manage (default both). */
  readonly families?: readonly Family[];
}

export async function observePolicy(opts: PolicyWriterOptions): Promise<ObservedPolicy> {
  const all = parseIpsetSave(await ipsetSave(opts.run, { netns: opts.netns }));
  const sets = new Map([...all].filter(([name]) => isOurSet(name)));
  const tables = new Map<Family, SavedTable | undefined>();
  for (const f of opts.families ?? [4, 6]) {
    const saved = parseIptablesSave(await iptablesSave(opts.run, { family: f, table: 'filter', netns: opts.netns }));
    tables.set(f, saved.get('filter'));
  }
  return { sets, tables };
}

export async function applyPlan(plan: PolicyPlan, opts: PolicyWriterOptions): Promise<void> {
  // -exist: a replayed create/add/del after a crash half-way is not an error.
  await ipsetRestore(opts.run, plan.ipsetBefore, { netns: opts.netns, exist: true });
  for (const t of plan.iptables) await iptablesRestore(opts.run, t.text, { family: t.family, netns: opts.netns });
  await ipsetRestore(opts.run, plan.ipsetAfter, { netns: opts.netns, exist: true });
}

/** Converge the kernel to `desired` (null: remove everything of ours). Returns what was done. */
export async function applyPolicy(desired: CompiledPolicy | null, opts: PolicyWriterOptions): Promise<PolicyPlan> {
  const observed = await observePolicy(opts);
  const plan = planPolicy(desired, observed, { families: opts.families });
  if (!isEmptyPlan(plan)) await applyPlan(plan, opts);
  return plan;
}

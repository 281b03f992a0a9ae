// Desired IR x what the kernel holds (only what is ours) -> the batches that converge it. Pure.
//
// Order (Felix's event sequencer does the same): sets are created and filled before the rules
// that use them; one iptables-restore --noflush per family rewrites only our chains that differ
// (by rule tags, render-iptables.ts), puts the FORWARD hook first, and deletes our stale chains;
// sets nobody uses any more are destroyed after that. Nothing else in the tables is touched.
// Planning against the result of applying a plan yields an empty plan.
//
// Set members change in place when only additions and removals are needed (removals first, so a
// change is never briefly more permissive than either end state). A set with `nomatch` members
// (an ipBlock with except) is refilled in a temporary set and swapped in, because there the
// order of single changes could open a gap.

import type { Family } from '../net/ip.js';
import type { SavedSet } from '../net/ipset.js';
import type { SavedTable } from '../net/iptables.js';
import { ipsetLine } from '../net/ipset.js';
import type { Chain, CompiledPolicy, IpSet, SetMember, Table } from './ir.js';
import { isOurChain, isOurSet, RULE_TAG, tempSetName } from './names.js';
import { createLine, memberLine } from './render-ipset.js';
import { chainTags, hookRule, hookTag, renderChainRules, renderRuleSpec } from './render-iptables.js';

export interface ObservedPolicy {
  /** The policy engine's sets only (names.ts isOurSet). */
  readonly sets: ReadonlyMap<string, SavedSet>;
  /** The filter table per family, as iptables-save printed it. */
  readonly tables: ReadonlyMap<Family, SavedTable | undefined>;
}

export interface PolicyPlan {
  readonly ipsetBefore: readonly string[];
  readonly iptables: readonly { readonly family: Family; readonly text: string }[];
  readonly ipsetAfter: readonly string[];
}

export function isEmptyPlan(p: PolicyPlan): boolean {
  return p.ipsetBefore.length === 0 && p.iptables.length === 0 && p.ipsetAfter.length === 0;
}

const TAG_RE = new RegExp(`--comment "?${RULE_TAG}([A-Z2-7]+)`);

/** The tag of a saved rule, or "?" for a rule without one (tampering: the chain is rewritten). */
function savedTag(rule: string): string {
  return TAG_RE.exec(rule)?.[1] ?? '?';
}

function memberKey(m: SetMember): string {
  return m.nomatch ? `${m.entry} nomatch` : m.entry;
}

export function planSet(want: IpSet, have: SavedSet | undefined, before: string[]): void {
  if (have === undefined) {
    before.push(createLine(want));
    for (const m of want.members) before.push(memberLine('add', want.name, m));
    return;
  }
  const wanted = new Map(want.members.map((m) => [memberKey(m), m]));
  const present = new Set(have.members.map((m) => m.trim().replace(/\s+/g, ' ')));
  const extra = [...present].filter((k) => !wanted.has(k)).sort();
  const missing = [...wanted.keys()].filter((k) => !present.has(k)).sort();
  if (extra.length === 0 && missing.length === 0) return;
  const usesNomatch = want.members.some((m) => m.nomatch) || extra.some((k) => k.endsWith(' nomatch'));
  if (usesNomatch) {
    const tmp = tempSetName(want.name);
    before.push(createLine(want, tmp), ipsetLine(['flush', tmp]));
    for (const m of want.members) before.push(memberLine('add', tmp, m));
    before.push(ipsetLine(['swap', tmp, want.name]), ipsetLine(['destroy', tmp]));
    return;
  }
  for (const k of extra) before.push(ipsetLine(['del', want.name, k.split(' ')[0] ?? k]));
  for (const k of missing) {
    const m = wanted.get(k);
    if (m !== undefined) before.push(memberLine('add', want.name, m));
  }
}

/**
 * The plan, ordered so that no moment of the apply allows more than both its start and its end.
 * Sets are filled before the rules that use them, but when rules change too, a member added to a
 * set the OLD rules already use could open a flow for an instant that neither the old nor the new
 * policy allows (a target moved off policy P while a new peer joins P's set). So with rule changes,
 * additions to sets that already exist wait until after iptables-restore: for that instant the new
 * rules see a set not yet complete, which only denies (fail closed). New sets are filled before.
 */
export function orderedPlan(before: readonly string[], iptables: PolicyPlan['iptables'], after: readonly string[]): PolicyPlan {
  if (iptables.length === 0) return { ipsetBefore: before, iptables, ipsetAfter: after };
  const created = new Set(before.filter((l) => l.startsWith('create ')).map((l) => l.split(' ')[1]));
  const deferred = before.filter((l) => l.startsWith('add ') && !created.has(l.split(' ')[1]));
  if (deferred.length === 0) return { ipsetBefore: before, iptables, ipsetAfter: after };
  const late = new Set(deferred);
  return { ipsetBefore: before.filter((l) => !late.has(l)), iptables, ipsetAfter: [...deferred, ...after] };
}

/** Does a chain's desired tag list differ from the tags read back (undefined: chain absent)? */
export function chainDiffers(want: Chain, haveTags: readonly string[] | undefined): boolean {
  if (haveTags === undefined) return true;
  const desired = chainTags(want);
  return haveTags.length !== desired.length || haveTags.some((t, i) => t !== desired[i]);
}

/** Hooks: exactly one jump to each hook target, first in its built-in chain, with our tag. */
function planHooks(want: Table | undefined, have: SavedTable | undefined): { deletes: string[]; inserts: string[] } {
  const deletes: string[] = [];
  const inserts: string[] = [];
  const builtins = new Set([...(want?.hooks ?? []).map((h) => h.from), 'FORWARD', 'INPUT', 'OUTPUT']);
  for (const from of [...builtins].sort()) {
    const rules = have?.chains.get(from)?.rules ?? [];
    const hook = want?.hooks.find((h) => h.from === from);
    const jumpsToUs = rules.filter((r) => / -[jg] (MERIDIAN-|MRD-)\S+/.test(` ${r}`));
    const inPlace = hook !== undefined && jumpsToUs.length === 1 && rules[0] === jumpsToUs[0] && savedTag(rules[0] ?? '') === hookTag(hook);
    if (inPlace) continue;
    for (const r of jumpsToUs) deletes.push(`-D ${from} ${r}`);
    if (hook !== undefined) inserts.push(`-I ${from} 1 ${renderRuleSpec(from, 0, hookRule(hook))}`);
  }
  return { deletes, inserts };
}

/**
 * The iptables-restore text for one family: `changed` chains rewritten, `stale` ones deleted,
 * and the hooks put right in `have` (only its built-in chains are read); undefined when nothing.
 */
export function tableText(changed: readonly Chain[], stale: readonly string[], want: Table | undefined, have: SavedTable | undefined): string | undefined {
  const hooks = planHooks(want, have);
  if (changed.length === 0 && stale.length === 0 && hooks.deletes.length === 0 && hooks.inserts.length === 0) return undefined;
  const lines = ['*filter'];
  // With --noflush, declaring a chain creates it or flushes it; nothing else is flushed.
  for (const c of changed) lines.push(`:${c.name} - [0:0]`);
  for (const name of stale) lines.push(`:${name} - [0:0]`);
  for (const c of changed) lines.push(...renderChainRules(c));
  lines.push(...hooks.deletes, ...hooks.inserts);
  for (const name of stale) lines.push(`-X ${name}`);
  lines.push('COMMIT');
  return lines.join('\n') + '\n';
}

function planTable(want: Table | undefined, have: SavedTable | undefined): string | undefined {
  const ours = [...(have?.chains.values() ?? [])].filter((c) => isOurChain(c.name));
  const haveTags = new Map(ours.map((c) => [c.name, c.rules.map(savedTag)]));
  const wantChains = want?.chains ?? [];
  const changed = wantChains.filter((c) => chainDiffers(c, haveTags.get(c.name)));
  const wanted = new Set(wantChains.map((c) => c.name));
  const stale = ours.filter((c) => !wanted.has(c.name)).map((c) => c.name).sort();
  return tableText(changed, stale, want, have);
}

export interface PlanOptions {
  /** Families to manage (default both). */
  readonly families?: readonly Family[];
}

/** Plan the convergence to `desired`; `null` removes everything of ours. */
export function planPolicy(desired: CompiledPolicy | null, observed: ObservedPolicy, opts: PlanOptions = {}): PolicyPlan {
  const families = opts.families ?? [4, 6];
  const before: string[] = [];
  const after: string[] = [];
  const wantSets = (desired?.sets ?? []).filter((s) => families.includes(s.family));
  for (const s of wantSets) planSet(s, observed.sets.get(s.name), before);
  const wantNames = new Set(wantSets.map((s) => s.name));
  for (const name of [...observed.sets.keys()].sort()) {
    if (isOurSet(name) && !wantNames.has(name)) after.push(ipsetLine(['destroy', name]));
  }
  const iptables: { family: Family; text: string }[] = [];
  for (const f of families) {
    const want = desired === null ? undefined : f === 4 ? desired.v4 : desired.v6;
    const text = planTable(want, observed.tables.get(f));
    if (text !== undefined) iptables.push({ family: f, text });
  }
  return orderedPlan(before, iptables, after);
}

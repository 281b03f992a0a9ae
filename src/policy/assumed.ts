// What the kernel holds after a plan for `c` was applied, as an ObservedPolicy, built from the IR
// alone. Pure. It is the reference for plan-delta.ts, which the syncer plans pod and label changes
// with instead of reading the kernel back (`ipset save` and `iptables-save` of thousands of rules
// cost more than the change itself); the periodic resync still reads the kernel, so drift and
// tampering are repaired on that period. planPolicy(c, assumedAfter(c)) is empty: the fields
// below are exactly what plan.ts compares.

import type { Family } from '../net/ip.js';
import type { SavedSet } from '../net/ipset.js';
import type { SavedChain, SavedTable } from '../net/iptables.js';
import type { CompiledPolicy, IpSet, Table } from './ir.js';
import type { ObservedPolicy } from './plan.js';
import { createLine } from './render-ipset.js';
import { hookRule, renderRuleSpec } from './render-iptables.js';

/** A set as `ipset save` prints it after it was applied. */
export function savedSetOf(s: IpSet): SavedSet {
  const [, , type = '', ...options] = createLine(s).split(' ');
  return { name: s.name, type, options, members: s.members.map((m) => (m.nomatch ? `${m.entry} nomatch` : m.entry)) };
}

/** The built-in chains holding our hooks after `t` was applied (nothing else of theirs is read). */
export function savedHooksOf(t: Table): SavedTable {
  const chains = new Map<string, SavedChain>();
  for (const h of t.hooks) chains.set(h.from, { name: h.from, policy: 'ACCEPT', rules: [renderRuleSpec(h.from, 0, hookRule(h))] });
  return { name: 'filter', chains };
}

export function assumedAfter(c: CompiledPolicy, families: readonly Family[] = [4, 6]): ObservedPolicy {
  const sets = new Map<string, SavedSet>();
  for (const s of c.sets) if (families.includes(s.family)) sets.set(s.name, savedSetOf(s));
  const tables = new Map<Family, SavedTable | undefined>();
  for (const f of families) {
    const t = f === 4 ? c.v4 : c.v6;
    const hooks = savedHooksOf(t);
    const chains = new Map<string, SavedChain>();
    for (const ch of t.chains) chains.set(ch.name, { name: ch.name, policy: undefined, rules: ch.rules.map((r, i) => renderRuleSpec(ch.name, i, r)) });
    for (const [name, ch] of hooks.chains) chains.set(name, ch);
    tables.set(f, { name: 'filter', chains });
  }
  return { sets, tables };
}

// Applies outbound SNAT (masquerade.ts) in the node's namespace: ipsets first (the rules use
// them), then one iptables-restore --noflush per family touching only our chain and our hook.

import { iptablesRestore, iptablesSave, parseIptablesSave } from '../net/iptables.js';
import { ipsetRestore } from '../net/ipset.js';
import type { Runner } from '../net/runner.js';
import { renderNatRestore, renderNatSets, type NatInput } from './masquerade.js';

/** `families`: a node without IPv6 (no ip6tables nat table to write) passes [4]. */
export async function applyNat(run: Runner, n: NatInput, opts: { netns?: string | undefined; families?: readonly (4 | 6)[] } = {}): Promise<void> {
  const families = opts.families ?? [4, 6];
  await ipsetRestore(run, renderNatSets(n, families), { netns: opts.netns });
  for (const family of families) {
    const saved = parseIptablesSave(await iptablesSave(run, { family, table: 'nat', netns: opts.netns })).get('nat');
    await iptablesRestore(run, renderNatRestore(n, family, saved), { family, netns: opts.netns });
  }
}

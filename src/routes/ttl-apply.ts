// Applies the BGP TTL rules (bgp-ttl.ts) in the node's namespace: one iptables-restore --noflush
// per family on the mangle table, touching only our chains and our hooks.

import { iptablesRestore, iptablesSave, parseIptablesSave } from '../net/iptables.js';
import type { Runner } from '../net/runner.js';
import { renderTtlRules, type TtlPeer } from './bgp-ttl.js';

/** `families`: a node without IPv6 (no ip6tables mangle table to write) passes [4]. */
export async function applyTtlRules(run: Runner, peers: readonly TtlPeer[], listenPort: number, opts: { netns?: string | undefined; families?: readonly (4 | 6)[] } = {}): Promise<void> {
  for (const family of opts.families ?? ([4, 6] as const)) {
    const saved = parseIptablesSave(await iptablesSave(run, { family, table: 'mangle', netns: opts.netns })).get('mangle');
    await iptablesRestore(run, renderTtlRules(peers, listenPort, family, saved), { family, netns: opts.netns });
  }
}

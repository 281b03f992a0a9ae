// Outbound SNAT as kubenet does it (seed document): traffic from this node's pods to anything
// outside the cluster's pod networks (and the configured non-masquerade CIDRs) leaves with the
// node's address. Pure rendering; nat-apply.ts runs it.
//
//   ipset   mrd-nomasq4 / mrd-nomasq6  hash:net  cluster pod CIDRs + nonMasqueradeCIDRs
//   *nat    POSTROUTING -> MERIDIAN-POSTROUTING (one jump, first, tagged)
//           -A MERIDIAN-POSTROUTING -s <own podCIDR> -m set ! --match-set mrd-nomasq4 dst
//              -m addrtype ! --dst-type LOCAL -j MASQUERADE --random-fully
//
// The set is refilled through a temporary set and `ipset swap`, so it is never empty for an
// instant (an empty set would masquerade pod-to-pod traffic). --random-fully: the kernel picks
// source ports at random, avoiding the conntrack insert races kube-proxy hit with plain
// MASQUERADE.

import type { SavedTable } from '../net/iptables.js';

export const NAT_CHAIN = 'MERIDIAN-POSTROUTING';
export const NAT_HOOK_COMMENT = 'meridian outgoing NAT';
export const NOMASQ_SET = { 4: 'mrd-nomasq4', 6: 'mrd-nomasq6' } as const;
const TMP_SUFFIX = '-tmp';

export interface NatInput {
  readonly enabled: boolean;
  /** This node's podCIDRs: the sources to masquerade. */
  readonly podCidrs: readonly string[];
  /** Destinations never masqueraded: every node's podCIDRs, clusterCIDRs, configured extras. */
  readonly nonMasquerade: readonly string[];
}

const fam = (c: string): 4 | 6 => (c.includes(':') ? 6 : 4);

/** `ipset restore` lines: refill the sets of these families (default both) atomically. */
export function renderNatSets(n: NatInput, families: readonly (4 | 6)[] = [4, 6]): string[] {
  if (!n.enabled) return [];
  const lines: string[] = [];
  for (const f of families) {
    const name = NOMASQ_SET[f];
    const tmp = name + TMP_SUFFIX;
    const family = f === 4 ? 'inet' : 'inet6';
    lines.push(`create ${name} hash:net family ${family} -exist`);
    lines.push(`create ${tmp} hash:net family ${family} -exist`);
    lines.push(`flush ${tmp}`);
    for (const c of [...new Set(n.nonMasquerade.filter((x) => fam(x) === f))].sort()) lines.push(`add ${tmp} ${c}`);
    lines.push(`swap ${tmp} ${name}`);
    lines.push(`destroy ${tmp}`);
  }
  return lines;
}

/** The hook line as iptables-save prints it (what we look for and what we insert). */
export function natHookSpec(): string {
  return `-m comment --comment "${NAT_HOOK_COMMENT}" -j ${NAT_CHAIN}`;
}

/**
 * `iptables-restore --noflush` input for one family: our chain rewritten, and the POSTROUTING hook
 * put back in first place if it is missing, duplicated or moved. `saved` is the current nat table.
 */
export function renderNatRestore(n: NatInput, family: 4 | 6, saved: SavedTable | undefined): string {
  const post = saved?.chains.get('POSTROUTING')?.rules ?? [];
  const ours = post.filter((r) => r.includes(`-j ${NAT_CHAIN}`));
  const hookOk = ours.length === 1 && post[0] === natHookSpec();
  const lines = ['*nat'];
  const sources = n.podCidrs.filter((c) => fam(c) === family);
  const active = n.enabled && sources.length > 0;
  if (active || saved?.chains.has(NAT_CHAIN) === true) lines.push(`:${NAT_CHAIN} - [0:0]`);
  if (active) {
    for (const src of [...sources].sort()) {
      lines.push(`-A ${NAT_CHAIN} -s ${src} -m set ! --match-set ${NOMASQ_SET[family]} dst -m addrtype ! --dst-type LOCAL -j MASQUERADE --random-fully`);
    }
  }
  if (!(active && hookOk)) for (const r of ours) lines.push(`-D POSTROUTING ${r}`);
  if (active && !hookOk) lines.push(`-I POSTROUTING 1 ${natHookSpec()}`);
  // Disabled: with the hook gone, our (now empty) chain can go too.
  if (!active && saved?.chains.has(NAT_CHAIN) === true) lines.push(`-X ${NAT_CHAIN}`);
  lines.push('COMMIT');
  return lines.length === 2 ? '' : lines.join('\n') + '\n';
}

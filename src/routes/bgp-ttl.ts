// IP TTL of BGP sessions, as iptables rules in the node's namespace. Node.js offers no IP_TTL /
// IP_MINTTL socket options for TCP, so the TTLs BGP implementations set on their sockets are set
// here on the packets instead (mangle table, our own chains):
//
// - eBGP single-hop (the default, as BIRD, FRR and GoBGP do): packets to the peer leave with
//   TTL 1, so a session cannot form through a router by accident; `ebgpMultihop: N` sends TTL N.
// - GTSM, RFC 5082 (`ttlSecurity: {hops}`): packets to the peer leave with TTL 255, and packets
//   from it arriving with less than 256 - hops are dropped, so a spoofer further away cannot
//   reach the session.
// - iBGP: untouched (the kernel's default TTL, as all three daemons do).
//
// IPv6 uses the hop limit (HL target and hl match) the same way. Pure rendering; applied with
// iptables-restore --noflush like every other table of ours.

import type { SavedTable } from '../net/iptables.js';

export const TTL_OUT_CHAIN = 'MERIDIAN-BGP-TTL';
export const TTL_IN_CHAIN = 'MERIDIAN-BGP-GTSM';
const OUT_HOOK = `-m comment --comment "meridian bgp ttl" -j ${TTL_OUT_CHAIN}`;
const IN_HOOK = `-m comment --comment "meridian bgp gtsm" -j ${TTL_IN_CHAIN}`;

export interface TtlPeer {
  readonly address: string;
  readonly port: number;
  readonly ebgp: boolean;
  readonly ebgpMultihop?: number | undefined;
  readonly ttlSecurityHops?: number | undefined;
}

function family(a: string): 4 | 6 {
  return a.includes(':') ? 6 : 4;
}

/** The TTL to send with, or undefined to leave the kernel's default. */
export function sendTtl(p: TtlPeer): number | undefined {
  if (p.ttlSecurityHops !== undefined) return 255;
  if (!p.ebgp) return undefined;
  return p.ebgpMultihop ?? 1;
}

function hook(builtin: string, spec: string, saved: SavedTable | undefined, want: boolean, chain: string): string[] {
  const rules = saved?.chains.get(builtin)?.rules ?? [];
  const ours = rules.filter((r) => r.includes(`-j ${chain}`));
  const ok = ours.length === 1 && rules[0] === spec;
  if (want && ok) return [];
  return [...ours.map((r) => `-D ${builtin} ${r}`), ...(want ? [`-I ${builtin} 1 ${spec}`] : [])];
}

/**
 * `iptables-restore --noflush` input for the mangle table of one family, given the peers and the
 * listen port, and the table as it is now (for the hooks). Empty when nothing is ours or wanted.
 */
export function renderTtlRules(peers: readonly TtlPeer[], listenPort: number, fam: 4 | 6, saved: SavedTable | undefined): string {
  const mine = peers.filter((p) => family(p.address) === fam);
  const set = fam === 4 ? 'TTL --ttl-set' : 'HL --hl-set';
  const lt = fam === 4 ? 'ttl --ttl-lt' : 'hl --hl-lt';
  const out: string[] = [];
  const inp: string[] = [];
  for (const p of [...mine].sort((a, b) => (a.address < b.address ? -1 : 1))) {
    const ttl = sendTtl(p);
    if (ttl === undefined) continue;
    // Both ways the session may have been opened: we dialled the peer's port, or it dialled ours.
    for (const m of [`--dport ${p.port}`, `--sport ${listenPort}`]) out.push(`-A ${TTL_OUT_CHAIN} -d ${p.address} -p tcp ${m} -j ${set} ${ttl}`);
    if (p.ttlSecurityHops !== undefined) {
      const min = 256 - p.ttlSecurityHops;
      for (const m of [`--sport ${p.port}`, `--dport ${listenPort}`]) inp.push(`-A ${TTL_IN_CHAIN} -s ${p.address} -p tcp ${m} -m ${lt} ${min} -j DROP`);
    }
  }
  const hadOut = saved?.chains.has(TTL_OUT_CHAIN) === true;
  const hadIn = saved?.chains.has(TTL_IN_CHAIN) === true;
  const wantOut = out.length > 0;
  const wantIn = inp.length > 0;
  const lines = ['*mangle'];
  if (wantOut || hadOut) lines.push(`:${TTL_OUT_CHAIN} - [0:0]`);
  if (wantIn || hadIn) lines.push(`:${TTL_IN_CHAIN} - [0:0]`);
  lines.push(...out, ...inp);
  lines.push(...hook('OUTPUT', OUT_HOOK, saved, wantOut, TTL_OUT_CHAIN));
  lines.push(...hook('INPUT', IN_HOOK, saved, wantIn, TTL_IN_CHAIN));
  if (!wantOut && hadOut) lines.push(`-X ${TTL_OUT_CHAIN}`);
  if (!wantIn && hadIn) lines.push(`-X ${TTL_IN_CHAIN}`);
  if (lines.length === 1) return '';
  lines.push('COMMIT');
  return lines.join('\n') + '\n';
}

import { describe, expect, it } from 'vitest';
import { parseIptablesSave } from '../../../src/net/iptables.js';
import { renderTtlRules, sendTtl } from '../../../src/routes/bgp-ttl.js';

const peers = [
  { address: '192.0.2.254', port: 179, ebgp: true },
  { address: '198.51.100.1', port: 1179, ebgp: true, ebgpMultihop: 3 },
  { address: '192.0.2.2', port: 179, ebgp: false },
  { address: '2001:db8::1', port: 179, ebgp: true, ttlSecurityHops: 1 },
];

describe('BGP TTL rules', () => {
  it('picks the TTL as BIRD, FRR and GoBGP do: eBGP 1, multihop N, GTSM 255, iBGP untouched', () => {
    expect(peers.map(sendTtl)).toEqual([1, 3, undefined, 255]);
  });

  it('renders our mangle chains and hooks for IPv4', () => {
    expect(renderTtlRules(peers, 179, 4, undefined)).toBe(
      [
        '*mangle',
        ':MERIDIAN-BGP-TTL - [0:0]',
        '-A MERIDIAN-BGP-TTL -d 192.0.2.254 -p tcp --dport 179 -j TTL --ttl-set 1',
        '-A MERIDIAN-BGP-TTL -d 192.0.2.254 -p tcp --sport 179 -j TTL --ttl-set 1',
        '-A MERIDIAN-BGP-TTL -d 198.51.100.1 -p tcp --dport 1179 -j TTL --ttl-set 3',
        '-A MERIDIAN-BGP-TTL -d 198.51.100.1 -p tcp --sport 179 -j TTL --ttl-set 3',
        '-I OUTPUT 1 -m comment --comment "meridian bgp ttl" -j MERIDIAN-BGP-TTL',
        'COMMIT',
        '',
      ].join('\n'),
    );
  });

  it('renders GTSM with the hop limit for IPv6', () => {
    const text = renderTtlRules(peers, 179, 6, undefined);
    expect(text).toContain('-A MERIDIAN-BGP-TTL -d 2001:db8::1 -p tcp --dport 179 -j HL --hl-set 255');
    expect(text).toContain('-A MERIDIAN-BGP-GTSM -s 2001:db8::1 -p tcp --sport 179 -m hl --hl-lt 255 -j DROP');
    expect(text).toContain('-I INPUT 1 -m comment --comment "meridian bgp gtsm" -j MERIDIAN-BGP-GTSM');
  });

  it('keeps correct hooks, and removes everything of ours when no peer needs a rule', () => {
    const saved = parseIptablesSave(
      ['*mangle', ':OUTPUT ACCEPT [0:0]', ':MERIDIAN-BGP-TTL - [0:0]', '-A OUTPUT -m comment --comment "meridian bgp ttl" -j MERIDIAN-BGP-TTL', 'COMMIT'].join('\n'),
    ).get('mangle');
    expect(renderTtlRules(peers, 179, 4, saved)).not.toContain('OUTPUT 1');
    expect(renderTtlRules([{ address: '192.0.2.2', port: 179, ebgp: false }], 179, 4, saved)).toBe(
      ['*mangle', ':MERIDIAN-BGP-TTL - [0:0]', '-D OUTPUT -m comment --comment "meridian bgp ttl" -j MERIDIAN-BGP-TTL', '-X MERIDIAN-BGP-TTL', 'COMMIT', ''].join('\n'),
    );
    expect(renderTtlRules([], 179, 4, undefined)).toBe('');
  });
});

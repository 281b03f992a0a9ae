// Addresses, prefixes, NOTIFICATION helpers, End-of-RIB, propagation of unknown attributes.

import { describe, expect, it } from 'vitest';
import {
  asPathLength,
  attributesForPropagation,
  type BgpMessage,
  community,
  decodeMessage,
  decodePrefixes,
  describeNotification,
  encodeMessage,
  EncodeError,
  endOfRib,
  endOfRibFamily,
  formatCommunity,
  formatIpv6,
  formatLargeCommunity,
  notificationFromError,
  notificationName,
  parseIpv6,
  parsePrefix,
  prependAs,
  shutdownCommunication,
  shutdownNotification,
  WellKnownCommunity,
  WireError,
} from '../../../../src/bgp/wire/index.js';
import { CAPTURES } from './fixtures/captures.js';

const CTX = { fourOctetAs: true, extendedMessage: false };

describe('addresses and prefixes', () => {
  it.each([
    ['2001:db8::1', '2001:db8::1'],
    ['2001:0db8:0000:0000:0001:0000:0000:0001', '2001:db8::1:0:0:1'],
    ['::', '::'],
    ['::1', '::1'],
    ['fe80::', 'fe80::'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
    ['FD00:0:0:1::', 'fd00:0:0:1::'],
  ])('%s formats as %s (RFC 5952)', (input, canonical) => {
    expect(formatIpv6(parseIpv6(input))).toBe(canonical);
  });

  it.each(['1:2:3:4:5:6:7:8:9', '1::2::3', '12345::', 'g::', '1.2.3.4', ':::'])('%s is not an IPv6 address', (s) => {
    expect(() => parseIpv6(s)).toThrow(EncodeError);
  });

  it('parsePrefix is strict about host bits and lengths', () => {
    expect(parsePrefix('10.244.1.0/24')).toEqual({ afi: 1, address: '10.244.1.0', length: 24 });
    expect(parsePrefix('fd00:10:244:1::/64')).toEqual({ afi: 2, address: 'fd00:10:244:1::', length: 64 });
    expect(parsePrefix('10.0.0.1')).toEqual({ afi: 1, address: '10.0.0.1', length: 32 });
    for (const bad of ['10.244.1.1/24', '10.0.0.0/33', '10.0.0.0/x', '300.0.0.0/8', 'fd00::/129']) {
      expect(() => parsePrefix(bad)).toThrow(EncodeError);
    }
  });

  it('decodePrefixes zeroes trailing bits (RFC 4271 §4.3: they are irrelevant)', () => {
    const fail = (d: string) => new Error(d);
    expect(decodePrefixes(Buffer.from('19c63364ff', 'hex'), 1, fail)).toEqual([
      { afi: 1, address: '198.51.100.128', length: 25 },
    ]);
  });
});

describe('communities', () => {
  it('formats and builds', () => {
    expect(formatCommunity(community(65001, 100))).toBe('65001:100');
    expect(formatCommunity(WellKnownCommunity.NO_EXPORT)).toBe('no-export');
    expect(formatLargeCommunity({ globalAdmin: 4200000001, local1: 1, local2: 2 })).toBe('4200000001:1:2');
    expect(() => community(70000, 1)).toThrow(EncodeError);
  });
});

describe('NOTIFICATION', () => {
  const frr = CAPTURES.find((c) => c.message.type === 'notification');

  it('names every RFC 4271 code and falls back for unknown ones', () => {
    expect(notificationName(1, 2)).toBe('Message Header Error / Bad Message Length');
    expect(notificationName(3, 11)).toBe('UPDATE Message Error / Malformed AS_PATH');
    expect(notificationName(6, 7)).toBe('Cease / Connection Collision Resolution');
    expect(notificationName(7, 1)).toBe('ROUTE-REFRESH Message Error / Invalid Message Length');
    expect(notificationName(9, 9)).toBe('Unknown error code 9 / unknown subcode 9');
  });

  it('reads the shutdown communication FRR sent (RFC 8203)', () => {
    if (frr?.message.type !== 'notification') throw new Error('fixture missing');
    expect(shutdownCommunication(frr.message)).toBe('planned maintenance, back at 14:00');
    expect(describeNotification(frr.message)).toBe(
      'Cease / Administrative Shutdown: "planned maintenance, back at 14:00"',
    );
  });

  it('builds one, cut to 255 octets on a character boundary (RFC 9003)', () => {
    const n = shutdownNotification('é'.repeat(200));
    expect(n.data[0]).toBe(254);
    expect(shutdownCommunication(n)).toBe('é'.repeat(127));
    expect(decodeMessage(encodeMessage(n, CTX), CTX).message).toEqual(n);
  });

  it('ignores a communication that is too long or not UTF-8', () => {
    expect(shutdownCommunication({ type: 'notification', code: 6, subcode: 2, data: Buffer.from([5, 0x61]) })).toBe(
      undefined,
    );
    expect(shutdownCommunication({ type: 'notification', code: 6, subcode: 2, data: Buffer.from([1, 0xff]) })).toBe(
      undefined,
    );
  });

  it('is built from a WireError in one place', () => {
    const e = new WireError({ code: 3, subcode: 5, action: 'session-reset', data: Buffer.from([1, 2]) });
    expect(notificationFromError(e)).toEqual({ type: 'notification', code: 3, subcode: 5, data: Buffer.from([1, 2]) });
    expect(e.code).toBe('BGP_WIRE_ERROR');
    expect(e.message).toBe('UPDATE Message Error / Attribute Length Error: session-reset');
  });
});

describe('End-of-RIB (RFC 4724 §2)', () => {
  const eor = CAPTURES.filter((c) => c.name.includes('End-of-RIB'));
  it('recognises BIRD\'s IPv4 and IPv6 markers', () => {
    expect(eor.map((c) => (c.message.type === 'update' ? endOfRibFamily(c.message) : undefined))).toEqual([
      { afi: 1, safi: 1 },
      { afi: 2, safi: 1 },
    ]);
  });

  it('builds byte-identical markers', () => {
    expect(encodeMessage(endOfRib({ afi: 1, safi: 1 }), CTX)).toEqual(eor[0]?.bytes);
    expect(encodeMessage(endOfRib({ afi: 2, safi: 1 }), CTX)).toEqual(eor[1]?.bytes);
    const l2vpn = endOfRib({ afi: 25, safi: 70 });
    expect(endOfRibFamily(l2vpn)).toEqual({ afi: 25, safi: 70 });
    const back = decodeMessage(encodeMessage(l2vpn, CTX), CTX).message;
    expect(back.type === 'update' && endOfRibFamily(back)).toEqual({ afi: 25, safi: 70 });
  });

  it('is not fooled by ordinary UPDATEs', () => {
    const normal = CAPTURES.filter((c) => c.message.type === 'update' && !c.name.includes('End-of-RIB'));
    for (const c of normal) if (c.message.type === 'update') expect(endOfRibFamily(c.message)).toBeUndefined();
    expect(
      endOfRibFamily({ type: 'update', withdrawn: [], nlri: [], attributes: { mpUnreach: { type: 'unicast', afi: 2, safi: 1, withdrawn: [{ afi: 2, address: '::', length: 0 }] } } }),
    ).toBeUndefined();
  });
});

describe('attributesForPropagation', () => {
  it('passes unknown optional transitive attributes on with Partial, drops non-transitive ones', () => {
    const out = attributesForPropagation({
      origin: 'igp',
      unknown: [
        { flags: 0xc0, typeCode: 99, value: Buffer.from([1]) },
        { flags: 0x80, typeCode: 98, value: Buffer.from([2]) },
      ],
    });
    expect(out).toEqual({ origin: 'igp', unknown: [{ flags: 0xe0, typeCode: 99, value: Buffer.from([1]) }] });
    expect(attributesForPropagation({ unknown: [{ flags: 0x80, typeCode: 98, value: Buffer.alloc(0) }] })).toEqual({});
  });
});

describe('encoder refuses what cannot be represented', () => {
  it.each([
    ['hold time > 65535', { type: 'open', myAs: 1, holdTime: 70000, bgpId: '1.2.3.4', capabilities: [] }],
    ['bad BGP identifier', { type: 'open', myAs: 1, holdTime: 90, bgpId: 'x', capabilities: [] }],
    ['IPv6 prefix in the NLRI field', { type: 'update', withdrawn: [], attributes: {}, nlri: [{ afi: 2, address: '::', length: 0 }] }],
    ['prefix /33', { type: 'update', withdrawn: [{ afi: 1, address: '0.0.0.0', length: 33 }], attributes: {}, nlri: [] }],
    ['GR restart time of 13 bits', { type: 'open', myAs: 1, holdTime: 90, bgpId: '1.2.3.4', capabilities: [{ type: 'graceful-restart', restarting: false, notification: false, restartTime: 5000, families: [] }] }],
    ['UPDATE above 4096 octets', { type: 'update', withdrawn: [], attributes: { communities: Array.from({ length: 1100 }, () => 1) }, nlri: [] }],
  ] as const)('%s', (_n, m) => {
    // Deliberately out-of-contract input: the types would (rightly) reject some of it.
    expect(() => encodeMessage(m as unknown as BgpMessage, CTX)).toThrow(EncodeError);
  });
});

describe('AS_PATH helpers', () => {
  it('prependAs joins a leading sequence or opens a new one', () => {
    expect(prependAs([{ type: 'sequence', asns: [2] }], 1)).toEqual([{ type: 'sequence', asns: [1, 2] }]);
    expect(prependAs([{ type: 'set', asns: [2, 3] }], 1)).toEqual([
      { type: 'sequence', asns: [1] },
      { type: 'set', asns: [2, 3] },
    ]);
    expect(prependAs([], 64512, { confederation: true })).toEqual([{ type: 'confed-sequence', asns: [64512] }]);
  });

  it('asPathLength counts a set as one and confederation segments as zero (RFC 4271 §9.1.2.2, RFC 5065 §5.3)', () => {
    expect(
      asPathLength([
        { type: 'confed-sequence', asns: [1, 2] },
        { type: 'sequence', asns: [3, 4, 5] },
        { type: 'set', asns: [6, 7] },
      ]),
    ).toBe(4);
  });
});

// The UPDATE packer: fewest messages, each within the size limit, decoding back to exactly the
// input prefixes.

import { describe, expect, it } from 'vitest';
import {
  type CodecContext,
  decodeMessage,
  encodedPrefixSize,
  type PathAttributes,
  type Prefix,
  packAnnouncements,
  packWithdrawals,
  updateRoutes,
} from '../../../../src/bgp/wire/index.js';

const CTX: CodecContext = { fourOctetAs: true, extendedMessage: false };
const ATTRS: PathAttributes = { origin: 'igp', asPath: [{ type: 'sequence', asns: [65001] }] };

const v4s = (n: number, len = 32): Prefix[] =>
  Array.from({ length: n }, (_, i) => ({
    afi: 1 as const,
    address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    length: len,
  }));
const v6s = (n: number): Prefix[] =>
  Array.from({ length: n }, (_, i) => ({ afi: 2 as const, address: `fd00::${(i + 1).toString(16)}`, length: 128 }));

const key = (p: Prefix): string => `${p.address}/${p.length}`;

function decodeAll(msgs: Buffer[], ctx = CTX): { announced: Prefix[]; withdrawn: Prefix[] } {
  const announced: Prefix[] = [];
  const withdrawn: Prefix[] = [];
  for (const m of msgs) {
    const r = decodeMessage(m, ctx);
    if (r.message.type !== 'update') throw new Error('not an update');
    expect(r.problems).toEqual([]);
    const routes = updateRoutes({ message: r.message, problems: r.problems, action: r.action });
    for (const a of routes.announced) announced.push(...a.prefixes);
    withdrawn.push(...routes.withdrawn);
  }
  return { announced, withdrawn };
}

describe('packAnnouncements', () => {
  it('packs 100k IPv4 /32s into the minimum number of 4096-octet UPDATEs', () => {
    const prefixes = v4s(100_000);
    const msgs = packAnnouncements({ afi: 1, prefixes, attributes: ATTRS, nextHop: '192.0.2.1' }, CTX);
    // Fixed part: 19 header + 4 lengths + ORIGIN 4 + AS_PATH 9 + NEXT_HOP 7 = 43; 4053 / 5 = 810 per message.
    expect(msgs).toHaveLength(Math.ceil(100_000 / 810));
    for (const m of msgs) expect(m.length).toBeLessThanOrEqual(4096);
    expect(msgs[0]?.length).toBe(43 + 810 * 5);
    const { announced } = decodeAll(msgs);
    expect(new Set(announced.map(key))).toEqual(new Set(prefixes.map(key)));
    expect(announced).toHaveLength(prefixes.length);
  });

  it('uses fewer messages with Extended Message', () => {
    const prefixes = v4s(20_000);
    const ctx = { ...CTX, extendedMessage: true };
    const msgs = packAnnouncements({ afi: 1, prefixes, attributes: ATTRS, nextHop: '192.0.2.1' }, ctx);
    expect(msgs).toHaveLength(2);
    expect(decodeAll(msgs, ctx).announced).toHaveLength(20_000);
  });

  it('packs IPv6 into MP_REACH_NLRI with global + link-local next hop', () => {
    const prefixes = v6s(1000);
    const msgs = packAnnouncements(
      { afi: 2, prefixes, attributes: { ...ATTRS, nextHop: '1.2.3.4' }, nextHop: 'fd00::1', linkLocalNextHop: 'fe80::1' },
      CTX,
    );
    for (const m of msgs) expect(m.length).toBeLessThanOrEqual(4096);
    const first = decodeMessage(msgs[0] as Buffer, CTX).message;
    if (first.type !== 'update' || first.attributes.mpReach?.type !== 'unicast') throw new Error('no MP_REACH');
    expect(first.attributes.mpReach.linkLocalNextHop).toBe('fe80::1');
    expect(first.attributes.nextHop).toBeUndefined();
    expect(new Set(decodeAll(msgs).announced.map(key))).toEqual(new Set(prefixes.map(key)));
    // 19 + 4 + ORIGIN 4 + AS_PATH 9 + MP header 4 + AFI/SAFI/len/NH/reserved 37 = 77; 17 octets per /128.
    expect(msgs).toHaveLength(Math.ceil(1000 / Math.floor((4096 - 77) / 17)));
  });

  it('fills each message with mixed sizes: less than one prefix wasted per message', () => {
    const prefixes = [...v4s(3000, 32), ...v4s(3000, 24), ...v4s(50, 8)].filter(
      (p, i, all) => all.findIndex((q) => key(q) === key(p)) === i,
    );
    const msgs = packAnnouncements({ afi: 1, prefixes, attributes: ATTRS, nextHop: '192.0.2.1' }, CTX);
    const room = 4096 - 43;
    const total = prefixes.reduce((n, p) => n + encodedPrefixSize(p), 0);
    expect(msgs.length).toBeLessThanOrEqual(Math.ceil(total / (room - 4)));
    for (const m of msgs.slice(0, -1)) expect(m.length).toBeGreaterThan(4096 - 5);
    expect(decodeAll(msgs).announced).toHaveLength(prefixes.length);
  });

  it('returns nothing for no prefixes', () => {
    expect(packAnnouncements({ afi: 1, prefixes: [], attributes: ATTRS, nextHop: '192.0.2.1' }, CTX)).toEqual([]);
  });
});

describe('packWithdrawals', () => {
  it('withdraws both families, IPv4 in the Withdrawn Routes field and IPv6 in MP_UNREACH_NLRI', () => {
    const prefixes = [...v4s(2000), ...v6s(500)];
    const msgs = packWithdrawals(prefixes, CTX);
    for (const m of msgs) expect(m.length).toBeLessThanOrEqual(4096);
    const { withdrawn, announced } = decodeAll(msgs);
    expect(announced).toEqual([]);
    expect(new Set(withdrawn.map(key))).toEqual(new Set(prefixes.map(key)));
    // IPv4: (4096 - 23) / 5 = 814 per message -> 3; IPv6: (4096 - 23 - 4 - 3) / 17 = 239 -> 3.
    expect(msgs).toHaveLength(3 + 3);
  });
});

// RFC 4271 §6.3 as revised by RFC 7606, one case per rule: which NOTIFICATION code/subcode/data
// and which action, and whether decoding throws (session reset) or returns a problem.

import { describe, expect, it } from 'vitest';
import {
  type CodecContext,
  decodeUpdate,
  encodeMessage,
  updateRoutes,
  WireError,
} from '../../../../src/bgp/wire/index.js';
import { list } from './helpers/buffer-list.js';

const CTX: CodecContext = { fourOctetAs: true, extendedMessage: false };

const ORIGIN = '40 01 01 00';
const AS_PATH = '40 02 06 02 01 0000fde9'; // sequence [65001]
const NEXT_HOP = '40 03 04 c0000201'; // 192.0.2.1
const NLRI = '18 c63364'; // 198.51.100.0/24

/** An UPDATE body: no withdrawals, the given attributes, the given NLRI. */
function update(attrs: string[], nlri = NLRI, withdrawn = ''): Buffer {
  const a = list().hex(attrs.join(''));
  const w = list().hex(withdrawn);
  return list().u16(w.length).bytes(w.join()).u16(a.length).bytes(a.join()).hex(nlri).join();
}

function thrown(f: () => unknown): WireError {
  try {
    f();
  } catch (e) {
    if (e instanceof WireError) return e;
    throw e;
  }
  throw new Error('expected a WireError');
}

const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('returned problems (RFC 7606 treat-as-withdraw / attribute-discard)', () => {
  it.each([
    ['ORIGIN value 3', '40 01 01 03', 1, 6],
    ['ORIGIN length 2', '40 01 02 0000', 1, 5],
    ['ORIGIN flagged optional', 'c0 01 01 00', 1, 4],
    ['AS_PATH segment of length zero', '40 02 02 02 00', 2, 11],
    ['AS_PATH unknown segment type', '40 02 06 05 01 0000fde9', 2, 11],
    ['AS_PATH segment overrun', '40 02 06 02 02 0000fde9', 2, 11],
    ['NEXT_HOP length 5', '40 03 05 c000020100', 3, 5],
    ['MED length 2', '80 04 02 0000', 4, 5],
    ['MED flagged transitive', 'c0 04 04 00000000', 4, 4],
    ['LOCAL_PREF length 3 from iBGP', '40 05 03 000064', 5, 5],
    ['COMMUNITIES length 5', 'c0 08 05 0000000000', 8, 5],
    ['COMMUNITIES empty', 'c0 08 00', 8, 5],
    ['ORIGINATOR_ID length 3', '80 09 03 0a0000', 9, 5],
    ['CLUSTER_LIST length 6', '80 0a 06 0a0000010a00', 10, 5],
    ['LARGE_COMMUNITY length 13', 'c0 20 0d 00000000000000000000000000', 32, 5],
  ])('%s -> treat-as-withdraw', (_name, bad, attr, subcode) => {
    const others = [ORIGIN, AS_PATH, NEXT_HOP].filter((a) => Number.parseInt(a.split(' ')[1] ?? '', 16) !== attr);
    const r = decodeUpdate(update([...others, bad]), CTX);
    expect(r.action).toBe('treat-as-withdraw');
    expect(r.problems).toHaveLength(1);
    const p = r.problems[0] as WireError;
    expect(p.action).toBe('treat-as-withdraw');
    expect(p.attr).toBe(attr);
    expect(p.notification.code).toBe(3);
    expect(p.notification.subcode).toBe(subcode);
    // RFC 4271 §6.3: the data is the erroneous attribute (type, length, value).
    expect(hexOf(p.notification.data)).toBe(bad.replace(/ /g, ''));
    // The NLRI is still there for the session to withdraw.
    expect(updateRoutes(r)).toEqual({
      withdrawn: [{ afi: 1, address: '198.51.100.0', length: 24 }],
      announced: [],
      attributes: r.message.attributes,
    });
  });

  it.each([
    ['ATOMIC_AGGREGATE length 1', '40 06 01 00', 6],
    ['AGGREGATOR length 7', 'c0 07 07 0000fde9c00002', 7],
    ['AGGREGATOR flagged non-transitive', '80 07 08 0000fde9c0000201', 7],
  ])('%s -> attribute-discard, the route stays', (_name, bad, attr) => {
    const r = decodeUpdate(update([ORIGIN, AS_PATH, NEXT_HOP, bad]), CTX);
    expect(r.action).toBe('attribute-discard');
    expect(r.problems.map((p) => [p.action, p.attr])).toEqual([['attribute-discard', attr]]);
    expect(r.message.attributes.atomicAggregate).toBeUndefined();
    expect(r.message.attributes.aggregator).toBeUndefined();
    expect(updateRoutes(r).announced).toHaveLength(1);
  });

  it('malformed LOCAL_PREF from an eBGP peer is discarded, not withdrawn (RFC 7606 §7.5)', () => {
    const r = decodeUpdate(update([ORIGIN, AS_PATH, NEXT_HOP, '40 05 03 000064']), { ...CTX, ebgp: true });
    expect(r.action).toBe('attribute-discard');
  });

  it('the strongest action wins when there are several problems (RFC 7606 §3)', () => {
    const r = decodeUpdate(update(['40 01 01 07', AS_PATH, NEXT_HOP, '40 06 01 00']), CTX);
    expect(r.problems.map((p) => p.action)).toEqual(['treat-as-withdraw', 'attribute-discard']);
    expect(r.action).toBe('treat-as-withdraw');
  });

  it('a duplicate attribute is discarded, the first one wins (RFC 7606 §3(g))', () => {
    const r = decodeUpdate(update([ORIGIN, AS_PATH, NEXT_HOP, '40 01 01 02']), CTX);
    expect(r.message.attributes.origin).toBe('igp');
    expect(r.problems.map((p) => [p.action, p.attr, p.notification.subcode])).toEqual([['attribute-discard', 1, 1]]);
  });

  it.each([
    ['ORIGIN', [AS_PATH, NEXT_HOP], 1],
    ['AS_PATH', [ORIGIN, NEXT_HOP], 2],
    ['NEXT_HOP', [ORIGIN, AS_PATH], 3],
  ])('missing %s with NLRI -> treat-as-withdraw, data = type code (RFC 7606 §3(d))', (_n, attrs, missing) => {
    const r = decodeUpdate(update(attrs), CTX);
    expect(r.action).toBe('treat-as-withdraw');
    const p = r.problems[0] as WireError;
    expect([p.notification.subcode, hexOf(p.notification.data)]).toEqual([3, missing.toString(16).padStart(2, '0')]);
  });

  it('no NEXT_HOP is needed when only MP_REACH_NLRI announces (RFC 4760 §3)', () => {
    const mp = list().u16(2).u8(1).u8(16).ipv6('fd00::1').u8(0).hex('20 20010db8'); // 2001:db8::/32
    const attr = list().hex('80 0e').withLength(mp).join().toString('hex');
    const r = decodeUpdate(update([attr, ORIGIN, AS_PATH], ''), CTX);
    expect(r.problems).toEqual([]);
  });

  it('an attribute running past the attribute field -> treat-as-withdraw, NLRI still found (RFC 7606 §4)', () => {
    const a = list().hex(ORIGIN + AS_PATH + NEXT_HOP).hex('c0 08 08 00000001'); // says 8, has 4
    const body = list().u16(0).u16(a.length).bytes(a.join()).hex(NLRI).join();
    const r = decodeUpdate(body, CTX);
    expect(r.action).toBe('treat-as-withdraw');
    expect(r.problems[0]?.notification.subcode).toBe(5);
    expect(r.message.nlri).toEqual([{ afi: 1, address: '198.51.100.0', length: 24 }]);
  });

  it('fewer octets than an attribute header -> treat-as-withdraw (RFC 7606 §4)', () => {
    const r = decodeUpdate(update([ORIGIN, AS_PATH, NEXT_HOP, 'c0 08']), CTX);
    expect(r.action).toBe('treat-as-withdraw');
    expect(r.problems[0]?.notification.subcode).toBe(1);
  });

  it('unknown optional attributes are kept raw, transitive or not, ordered by type code', () => {
    const r = decodeUpdate(update([ORIGIN, AS_PATH, NEXT_HOP, '80 fe 01 aa', 'c0 fd 00']), CTX);
    expect(r.problems).toEqual([]);
    expect(r.message.attributes.unknown).toEqual([
      { flags: 0xc0, typeCode: 0xfd, value: Buffer.alloc(0) },
      { flags: 0x80, typeCode: 0xfe, value: Buffer.from([0xaa]) },
    ]);
  });

  it('the Partial bit of a known optional transitive attribute is kept and re-sent (RFC 4271 §5)', () => {
    const body = update([ORIGIN, AS_PATH, NEXT_HOP, 'e0 08 04 fde90064']);
    const r = decodeUpdate(body, CTX);
    expect(r.message.attributes.partial).toEqual([8]);
    expect(encodeMessage(r.message, CTX).subarray(19).toString('hex')).toBe(body.toString('hex'));
  });

  it('AS4_PATH between 4-octet speakers is discarded (RFC 6793 §4.1)', () => {
    const r = decodeUpdate(update([ORIGIN, AS_PATH, NEXT_HOP, 'c0 11 06 02 01 fa56ea01']), CTX);
    expect(r.message.attributes.as4Path).toBeUndefined();
    expect(r.action).toBe('attribute-discard');
  });

  it('malformed AS4_PATH from a 2-octet speaker is discarded (RFC 6793 §6)', () => {
    const as2Path = '40 02 04 02 01 fde9';
    const r = decodeUpdate(update([ORIGIN, as2Path, NEXT_HOP, 'c0 11 06 03 01 fa56ea01']), { ...CTX, fourOctetAs: false });
    expect(r.problems.map((p) => [p.action, p.attr, p.notification.subcode])).toEqual([['attribute-discard', 17, 9]]);
  });
});

describe('thrown errors (session reset, AFI/SAFI disable)', () => {
  const cases: Array<[string, () => Buffer, number, number, string, string?]> = [
    ['withdrawn routes length beyond the message', () => list().u16(10).u16(0).join(), 3, 1, 'session-reset'],
    ['total attribute length beyond the message', () => list().u16(0).u16(10).hex(ORIGIN).join(), 3, 1, 'session-reset'],
    ['NLRI prefix length 33', () => update([ORIGIN, AS_PATH, NEXT_HOP], '21 c0000201 00'), 3, 10, 'session-reset'],
    ['NLRI prefix overrunning the message', () => update([ORIGIN, AS_PATH, NEXT_HOP], '18 c000'), 3, 10, 'session-reset'],
    ['withdrawn prefix length 40', () => update([], '', '28 0102030405'), 3, 10, 'session-reset'],
    ['unrecognised well-known attribute', () => update([ORIGIN, AS_PATH, NEXT_HOP, '40 63 01 00']), 3, 2, 'session-reset', '40630100'],
    ['duplicate MP_UNREACH_NLRI', () => update(['80 0f 03 000201', '80 0f 03 000201'], ''), 3, 1, 'session-reset'],
    ['MP_REACH_NLRI shorter than AFI/SAFI', () => update(['80 0e 02 0002'], ''), 3, 9, 'session-reset'],
    ['MP_REACH_NLRI header cut after its type', () => update([ORIGIN, '90 0e'], ''), 3, 1, 'session-reset'],
    ['MP_REACH_NLRI running past the field', () => update(['80 0e 20 0002 01 10'], ''), 3, 5, 'session-reset'],
    ['MP_REACH_NLRI IPv6 next hop of 7 octets', () => update(['80 0e 0b 0002 01 07 00000000000000 00', ORIGIN, AS_PATH], ''), 3, 9, 'af-disable'],
    ['MP_REACH_NLRI prefix /129', () => update(['80 0e 16 0002 01 10 fd000000000000000000000000000001 00 81', ORIGIN, AS_PATH], ''), 3, 9, 'af-disable'],
    ['MP_UNREACH_NLRI prefix overrun', () => update(['80 0f 05 0002 01 40 20'], ''), 3, 9, 'af-disable'],
  ];
  it.each(cases)('%s', (_name, body, code, subcode, action, data) => {
    const e = thrown(() => decodeUpdate(body(), CTX));
    expect([e.notification.code, e.notification.subcode, e.action]).toEqual([code, subcode, action]);
    if (data !== undefined) expect(hexOf(e.notification.data)).toBe(data);
    if (action === 'af-disable') expect([e.afi, e.safi]).toEqual([2, 1]);
  });
});

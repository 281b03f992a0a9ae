// OPEN decoding errors (RFC 4271 §6.2, RFC 5492), RFC 9072 extended optional parameters, and
// the helpers the FSM will use.

import { describe, expect, it } from 'vitest';
import {
  buildOpen,
  type Capability,
  decodeMessage,
  decodeOpen,
  encodeMessage,
  findCapability,
  negotiateContext,
  openAsn,
  type OpenMessage,
  WireError,
} from '../../../../src/bgp/wire/index.js';
import { CAPTURES } from './fixtures/captures.js';
import { list } from './helpers/buffer-list.js';

const CTX = { fourOctetAs: true, extendedMessage: false };

function thrown(f: () => unknown): WireError {
  try {
    f();
  } catch (e) {
    if (e instanceof WireError) return e;
    throw e;
  }
  throw new Error('expected a WireError');
}

const openBody = (params: string, version = 4): Buffer => {
  const p = list().hex(params);
  return list().u8(version).u16(65001).u16(90).ipv4('192.0.2.1').u8(p.length).bytes(p.join()).join();
};

describe('OPEN errors', () => {
  it('version 3 -> Unsupported Version Number, data = 4 as two octets', () => {
    const e = thrown(() => decodeOpen(openBody('', 3)));
    expect([e.notification.code, e.notification.subcode, Buffer.from(e.notification.data).toString('hex')]).toEqual([
      2, 1, '0004',
    ]);
  });

  it('an optional parameter other than Capabilities -> Unsupported Optional Parameter', () => {
    expect(thrown(() => decodeOpen(openBody('01 02 0000'))).notification.subcode).toBe(4);
  });

  it('optional parameters length not matching the message -> OPEN Message Error', () => {
    const b = openBody('02 02 0200');
    b[9] = 3;
    expect(thrown(() => decodeOpen(b)).notification.subcode).toBe(0);
  });

  it('a capability overrunning its parameter -> OPEN Message Error', () => {
    expect(thrown(() => decodeOpen(openBody('02 02 4104'))).notification.subcode).toBe(0);
  });

  it.each([
    ['multiprotocol', '02 05 01 03 000101'],
    ['4-octet AS', '02 04 41 02 fde9'],
  ])('a malformed %s capability -> OPEN Message Error with the capability as data', (_n, p) => {
    const e = thrown(() => decodeOpen(openBody(p)));
    expect(Buffer.from(e.notification.data).toString('hex')).toBe(p.slice(6).replace(/ /g, ''));
  });

  it.each([
    ['graceful restart of 3 octets', '02 05 40 03 007800', 64],
    ['route refresh with a value', '02 03 02 01 00', 2],
    ['FQDN with a bad length', '02 05 49 03 05 6162', 73],
    ['ADD-PATH with mode 7', '02 06 45 04 0001 01 07', 69],
    ['FQDN that is not UTF-8', '02 05 49 03 01 ff 00', 73],
  ])('a malformed %s is kept raw, not fatal', (_n, p, code) => {
    const open = decodeOpen(openBody(p));
    expect(open.capabilities).toEqual([{ type: 'unknown', code, data: Buffer.from(p.slice(12).replace(/ /g, ''), 'hex') }]);
  });

  it('unknown capability codes are kept raw and re-encoded as is', () => {
    const body = openBody('02 05 fe 03 010203');
    expect(decodeOpen(body).capabilities).toEqual([{ type: 'unknown', code: 254, data: Buffer.from([1, 2, 3]) }]);
  });
});

describe('RFC 9072 extended optional parameters', () => {
  const many: Capability[] = Array.from({ length: 70 }, (_, i) => ({ type: 'multiprotocol', afi: 1, safi: i + 1 }));
  const open: OpenMessage = { type: 'open', myAs: 65001, holdTime: 90, bgpId: '192.0.2.1', capabilities: many };

  it('are used when the parameters exceed 255 octets, and decode back', () => {
    const bytes = encodeMessage(open, CTX);
    expect(bytes[19 + 9]).toBe(255); // Non-Ext OP Len
    expect(bytes[19 + 10]).toBe(255); // Non-Ext OP Type
    expect(bytes.readUInt16BE(19 + 11)).toBe(3 + 70 * 6); // Extended Opt. Parm. Length
    expect(decodeMessage(bytes, CTX).message).toEqual(open);
  });

  it('also with one parameter per capability', () => {
    const perParam: OpenMessage = { ...open, capabilityLayout: 'one-per-parameter' };
    expect(decodeMessage(encodeMessage(perParam, CTX), CTX).message).toEqual(perParam);
  });
});

describe('OPEN helpers', () => {
  it('buildOpen puts AS_TRANS in My AS for a 4-octet ASN and adds the capability', () => {
    const o = buildOpen({ asn: 4200000001, holdTime: 90, bgpId: '10.0.0.1', capabilities: [{ type: 'route-refresh' }] });
    expect(o.myAs).toBe(23456);
    expect(openAsn(o)).toBe(4200000001);
    expect(findCapability(o, 'four-octet-as')).toEqual({ type: 'four-octet-as', asn: 4200000001 });
    expect(buildOpen({ ...o, asn: 65010, capabilities: [] }).myAs).toBe(65010);
  });

  it('negotiateContext needs both sides for 4-octet AS and Extended Message', () => {
    const [bird, frr] = [CAPTURES[0]?.message, CAPTURES[1]?.message] as OpenMessage[];
    expect(negotiateContext(bird as OpenMessage, frr as OpenMessage)).toEqual({
      fourOctetAs: true,
      extendedMessage: false,
      ebgp: undefined,
    });
    expect(negotiateContext(frr as OpenMessage, frr as OpenMessage, { ebgp: true })).toEqual({
      fourOctetAs: true,
      extendedMessage: true,
      ebgp: true,
    });
  });
});

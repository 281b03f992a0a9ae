import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIp, parseCidr, parseIp } from '../../src/cni/ip-addr.js';

describe('ip-addr', () => {
  it.each([
    ['10.0.0.1', '10.0.0.1'],
    ['fd00:0:0:0:0:0:0:1', 'fd00::1'],
    ['FE80::ECEE:EEFF:FEEE:EEEE', 'fe80::ecee:eeff:feee:eeee'],
    ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'],
    ['2001:db8::1:0:0:1', '2001:db8::1:0:0:1'],
    ['::', '::'],
    ['::ffff:10.0.0.1', '::ffff:a00:1'],
    ['1:0:2:3:4:5:6:7', '1:0:2:3:4:5:6:7'],
  ])('%s -> %s (RFC 5952)', (text, canonical) => {
    const a = parseIp(text);
    expect(a).toBeDefined();
    expect(formatIp(a!)).toBe(canonical);
  });

  it.each(['10.0.0', '256.0.0.1', '01.2.3.4', '1::2::3', 'fd00::g', '1:2:3:4:5:6:7:8:9', ''])('rejects %j', (text) => {
    expect(parseIp(text)).toBeUndefined();
  });

  it.each([
    ['10.244.1.0/24', true],
    ['10.244.1.1/24', false],
    ['fd00:10:244:1::/64', true],
    ['10.0.0.0/33', false],
    ['10.0.0.0', false],
  ])('parseCidr(%s) valid=%s', (text, ok) => {
    expect(parseCidr(text) !== undefined).toBe(ok);
  });

  it('formats and parses back every IPv6 address', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), (v) => {
        expect(parseIp(formatIp({ family: 6, value: v }))).toEqual({ family: 6, value: v });
      }),
    );
  });
});

// The hand-rolled IPv4 parser on the prefix hot path accepts exactly what the general one does.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tryParseIpv4 } from '../../../../src/bgp/wire/address.js';
import { bytesFromValue, parseIpv4Value } from '../../../../src/ip/address.js';

const reference = (s: string): Buffer | undefined => {
  const v = parseIpv4Value(s);
  return v === undefined ? undefined : bytesFromValue(v, 4);
};

describe('tryParseIpv4', () => {
  it('agrees with parseIpv4Value on addresses and near-addresses', () => {
    const octet = fc.oneof(fc.integer({ min: 0, max: 300 }).map(String), fc.constantFrom('', '00', '01', '010', '1a', ' 1', '-1', '256', '1000'));
    const text = fc.oneof(fc.array(octet, { minLength: 1, maxLength: 6 }).map((xs) => xs.join('.')), fc.string({ maxLength: 16 }), fc.constantFrom('1.2.3.4.', '.1.2.3', '1..2.3', '0.0.0.0', '255.255.255.255'));
    fc.assert(
      fc.property(text, (s) => {
        expect(tryParseIpv4(s)).toEqual(reference(s));
      }),
      { numRuns: 5000 },
    );
  });

  it('reads the bytes', () => {
    expect(tryParseIpv4('10.244.1.255')).toEqual(Buffer.from([10, 244, 1, 255]));
    expect(tryParseIpv4('010.0.0.1')).toBeUndefined();
  });
});

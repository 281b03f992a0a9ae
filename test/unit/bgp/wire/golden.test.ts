// Every fixture drives decode, encode and a round trip; captures are also checked against the
// verbatim hex, so a wrong field comment cannot hide.

import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from '../../../../src/bgp/wire/index.js';
import { CAPTURES } from './fixtures/captures.js';
import { HAND } from './fixtures/hand.js';

describe.each([...CAPTURES, ...HAND])('$name', (f) => {
  if (f.captured !== undefined) {
    it('field-by-field bytes equal the capture', () => {
      expect(f.bytes.toString('hex')).toBe(f.captured);
    });
  }

  it('decodes', () => {
    const r = decodeMessage(f.bytes, f.ctx);
    expect(r.problems).toEqual([]);
    expect(r.action).toBe('none');
    expect(r.message).toEqual(f.message);
  });

  it('encodes', () => {
    expect(encodeMessage(f.message, f.ctx).toString('hex')).toBe(f.bytes.toString('hex'));
  });

  it('round-trips', () => {
    const once = decodeMessage(f.bytes, f.ctx).message;
    expect(encodeMessage(once, f.ctx).toString('hex')).toBe(f.bytes.toString('hex'));
  });
});

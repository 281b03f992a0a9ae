import { describe, expect, it } from 'vitest';
import { decodeMessage, WireError } from '../../../../src/bgp/wire/index.js';
import { HOSTILE } from './fixtures/hostile.js';

describe.each(HOSTILE)('$name', (h) => {
  it('decodes to the pinned outcome', () => {
    const bytes = Buffer.from(h.hex, 'hex');
    expect(bytes.readUInt16BE(16)).toBe(bytes.length); // the fixture itself is well framed
    const ctx = { fourOctetAs: h.fourOctetAs, extendedMessage: false };
    if (typeof h.expect === 'string') {
      expect(decodeMessage(bytes, ctx).action).toBe(h.expect);
      return;
    }
    let err: unknown;
    try {
      decodeMessage(bytes, ctx);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WireError);
    const e = err as WireError;
    expect([e.notification.code, e.notification.subcode, e.action]).toEqual(h.expect);
  });
});

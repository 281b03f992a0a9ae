// The framer as pg-protocol's inbound-parser tests do it: the same stream split at the front,
// the middle and the end (here: at every offset), byte by byte, and header errors per RFC 4271 §6.1.

import { describe, expect, it } from 'vitest';
import { decodeFrame, type Frame, Framer, WireError } from '../../../../src/bgp/wire/index.js';
import { CAPTURES } from './fixtures/captures.js';
import { list } from './helpers/buffer-list.js';

const CTX = { fourOctetAs: true, extendedMessage: false };
const STREAM = Buffer.concat(CAPTURES.map((f) => f.bytes));
const EXPECTED = CAPTURES.map((f) => f.bytes.toString('hex'));

function frames(chunks: Buffer[], framer = new Framer()): string[] {
  const out: Frame[] = [];
  for (const c of chunks) framer.push(c, (f) => out.push(f));
  expect(framer.buffered).toBe(0);
  return out.map((f) => f.bytes.toString('hex'));
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

const header = (length: number, type: number, marker = 'ff'.repeat(16)): Buffer =>
  list().hex(marker).u16(length).u8(type).join();

describe('Framer', () => {
  it('yields every message of a stream given in one chunk', () => {
    expect(frames([STREAM])).toEqual(EXPECTED);
  });

  it('yields the same messages whatever offset the stream is split at', () => {
    for (let i = 0; i <= STREAM.length; i++) {
      expect(frames([STREAM.subarray(0, i), STREAM.subarray(i)])).toEqual(EXPECTED);
    }
  });

  it('yields the same messages fed one octet at a time', () => {
    const chunks = [...STREAM].map((b) => Buffer.from([b]));
    expect(frames(chunks)).toEqual(EXPECTED);
  });

  it('holds a partial message back', () => {
    const f = new Framer();
    expect(f.pushAll(STREAM.subarray(0, 30))).toEqual([]);
    expect(f.buffered).toBe(30);
  });

  it('frames decode to the fixtures', () => {
    const f = new Framer();
    const got = f.pushAll(STREAM).map((fr) => decodeFrame(fr, CTX).message);
    expect(got).toEqual(CAPTURES.map((c) => c.message));
  });

  it('delivers the messages before a bad header, then throws', () => {
    const f = new Framer();
    const seen: string[] = [];
    const bad = Buffer.concat([CAPTURES[12]?.bytes ?? Buffer.alloc(0), header(19, 9)]);
    const e = thrown(() => f.push(bad, (fr) => seen.push(fr.bytes.toString('hex'))));
    expect(seen).toEqual([EXPECTED[12]]);
    expect(e.notification.subcode).toBe(3);
  });

  it('accepts up to 65535 octets once Extended Message is negotiated (RFC 8654)', () => {
    const big = Buffer.concat([header(5000, 2), Buffer.alloc(4981)]);
    expect(thrown(() => new Framer().pushAll(big)).notification.subcode).toBe(2);
    expect(new Framer({ extendedMessage: true }).pushAll(big)).toHaveLength(1);
  });
});

describe('header errors (RFC 4271 §6.1)', () => {
  it.each([
    ['marker not all ones', header(19, 4, 'ff'.repeat(15) + 'fe'), 1, ''],
    ['length below 19', header(18, 4), 2, '0012'],
    ['unknown type', header(19, 6), 3, '06'],
    ['KEEPALIVE longer than 19', header(20, 4), 2, '0014'],
    ['OPEN shorter than 29', header(28, 1), 2, '001c'],
    ['UPDATE shorter than 23', header(22, 2), 2, '0016'],
    ['NOTIFICATION shorter than 21', header(20, 3), 2, '0014'],
    ['ROUTE-REFRESH shorter than 23', header(22, 5), 2, '0016'],
    ['OPEN above 4096 even with Extended Message (RFC 8654 §3)', header(4097, 1), 2, '1001'],
  ])('%s', (_n, bytes, subcode, data) => {
    const e = thrown(() => new Framer({ extendedMessage: true }).pushAll(Buffer.concat([bytes, Buffer.alloc(5000)])));
    expect([e.notification.code, e.notification.subcode, e.action]).toEqual([1, subcode, 'session-reset']);
    expect(Buffer.from(e.notification.data).toString('hex')).toBe(data);
  });

  it('rejects a length above 4096 without Extended Message', () => {
    const e = thrown(() => new Framer().pushAll(header(4097, 2)));
    expect(Buffer.from(e.notification.data).toString('hex')).toBe('1001');
  });

  it('a ROUTE-REFRESH of the wrong length is ROUTE-REFRESH Message Error with the message as data (RFC 7313 §5)', () => {
    const msg = list().hex('0001 00 01 00').message(5);
    const [frame] = new Framer().pushAll(msg);
    const e = thrown(() => decodeFrame(frame as Frame, CTX));
    expect([e.notification.code, e.notification.subcode]).toEqual([7, 1]);
    expect(Buffer.from(e.notification.data)).toEqual(msg);
  });

});

// Property tests (fast-check): round trips, hostile input yields only WireError and terminates,
// the packer's output decodes back to its input.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CodecContext,
  decodeFrame,
  decodeMessage,
  encodeMessage,
  type Frame,
  Framer,
  packAnnouncements,
  packWithdrawals,
  type Prefix,
  updateRoutes,
  WireError,
} from '../../../../src/bgp/wire/index.js';
import { CAPTURES } from './fixtures/captures.js';
import { HAND } from './fixtures/hand.js';
import { context, message, prefixV4, prefixV6 } from './helpers/arbitraries.js';

// BGP_FUZZ_RUNS=20000 npx vitest run test/unit/bgp for a longer hunt; crashers found become fixtures (crashers.test.ts).
const RUNS = Number(process.env.BGP_FUZZ_RUNS ?? 400);

/** Runs f; anything thrown other than a WireError fails the property. */
function onlyWireErrors(f: () => void): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof WireError)) throw e;
  }
}

/** Decodes, and if that works, checks that re-encoding and decoding again is stable. */
function decodeStable(bytes: Buffer, ctx: CodecContext): void {
  onlyWireErrors(() => {
    const once = decodeMessage(bytes, ctx).message;
    const again = decodeMessage(encodeMessage(once, ctx), ctx).message;
    expect(again).toEqual(once);
  });
}

const seeds = [...CAPTURES, ...HAND].map((f) => ({ bytes: f.bytes, ctx: f.ctx }));

/** A mutation of a valid message, with the header length fixed up so the body gets parsed. */
const mutated = fc
  .tuple(
    fc.constantFrom(...seeds),
    fc.array(
      fc.oneof(
        fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
        fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
        fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 8 }) }),
      ),
      { minLength: 1, maxLength: 4 },
    ),
    fc.boolean(),
  )
  .map(([seed, ops, fixLength]) => {
    let b = Buffer.from(seed.bytes);
    for (const op of ops) {
      const at = 19 + (op.at % Math.max(1, b.length - 19));
      if (op.kind === 'set') b[Math.min(at, b.length - 1)] = op.value;
      else if (op.kind === 'cut') b = b.subarray(0, at);
      else b = Buffer.concat([b.subarray(0, at), op.bytes, b.subarray(at)]);
    }
    if (fixLength && b.length >= 19) b.writeUInt16BE(Math.min(b.length, 0xffff), 16);
    return { bytes: b, ctx: seed.ctx };
  });

describe('round trip: decode(encode(m)) equals m', () => {
  it('for random messages in random contexts', () => {
    fc.assert(
      fc.property(
        context.chain((ctx) => message(ctx).map((m) => ({ ctx, m }))),
        ({ ctx, m }) => {
          const bytes = encodeMessage(m, ctx);
          const r = decodeMessage(bytes, ctx);
          expect(r.problems).toEqual([]);
          expect(r.message).toEqual(m);
          expect(encodeMessage(r.message, ctx)).toEqual(bytes);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('hostile input: only WireError, always terminates', () => {
  it('random bytes through the framer and decoder', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 6 }),
        fc.boolean(),
        context,
        (chunks, withMarker, ctx) => {
          const framer = new Framer({ extendedMessage: ctx.extendedMessage });
          onlyWireErrors(() => {
            for (const [i, c] of chunks.entries()) {
              // Often start with a valid marker so the length/type checks and bodies are reached.
              const chunk = withMarker && i === 0 ? Buffer.concat([Buffer.alloc(16, 0xff), c]) : Buffer.from(c);
              framer.push(chunk, (f: Frame) => onlyWireErrors(() => void decodeFrame(f, ctx)));
            }
          });
        },
      ),
      { numRuns: RUNS * 2 },
    );
  });

  it('random bodies behind a valid header, every message type', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.uint8Array({ minLength: 0, maxLength: 300 }),
        context,
        (type, body, ctx) => {
          const h = Buffer.alloc(19, 0xff);
          h.writeUInt16BE(19 + body.length, 16);
          h[18] = type;
          decodeStable(Buffer.concat([h, body]), ctx);
        },
      ),
      { numRuns: RUNS * 2 },
    );
  });

  it('mutated valid messages (captures and fixtures)', () => {
    fc.assert(
      fc.property(mutated, context, ({ bytes, ctx }, other) => {
        decodeStable(bytes, ctx);
        decodeStable(bytes, other); // and in the wrong context (2-octet vs 4-octet AS)
      }),
      { numRuns: RUNS * 3 },
    );
  });
});

describe('packer', () => {
  const key = (p: Prefix): string => `${p.afi} ${p.address}/${p.length}`;
  const unique = (ps: Prefix[]): Prefix[] => [...new Map(ps.map((p) => [key(p), p])).values()];

  it('announcements decode back to exactly the input, each message within the limit', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.boolean(),
        fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 200 }),
        fc.array(prefixV4, { maxLength: 1500 }),
        fc.array(prefixV6, { maxLength: 600 }),
        (v6, extendedMessage, communities, p4, p6) => {
          const ctx: CodecContext = { fourOctetAs: true, extendedMessage };
          const prefixes = unique(v6 ? p6 : p4);
          const attributes = { origin: 'igp' as const, asPath: [], ...(communities.length ? { communities } : {}) };
          const msgs = packAnnouncements(
            v6
              ? { afi: 2, prefixes, attributes, nextHop: 'fd00::1', linkLocalNextHop: 'fe80::1' }
              : { afi: 1, prefixes, attributes, nextHop: '192.0.2.1' },
            ctx,
          );
          const got: Prefix[] = [];
          for (const m of msgs) {
            expect(m.length).toBeLessThanOrEqual(extendedMessage ? 65535 : 4096);
            const r = decodeMessage(m, ctx);
            if (r.message.type !== 'update') throw new Error('not an update');
            expect(r.problems).toEqual([]);
            for (const a of updateRoutes({ message: r.message, problems: [], action: 'none' }).announced) got.push(...a.prefixes);
          }
          expect(got.map(key).sort()).toEqual(prefixes.map(key).sort());
        },
      ),
      { numRuns: 60 },
    );
  });

  it('withdrawals decode back to exactly the input', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(prefixV4, prefixV6), { maxLength: 2000 }), (ps) => {
        const ctx: CodecContext = { fourOctetAs: true, extendedMessage: false };
        const prefixes = unique(ps);
        const got: Prefix[] = [];
        for (const m of packWithdrawals(prefixes, ctx)) {
          expect(m.length).toBeLessThanOrEqual(4096);
          const r = decodeMessage(m, ctx);
          if (r.message.type !== 'update') throw new Error('not an update');
          got.push(...updateRoutes({ message: r.message, problems: [], action: 'none' }).withdrawn);
        }
        expect(got.map(key).sort()).toEqual(prefixes.map(key).sort());
      }),
      { numRuns: 60 },
    );
  });
});

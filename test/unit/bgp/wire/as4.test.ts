// RFC 6793 §4.2: merging AS4_PATH into a 2-octet AS_PATH on receipt, and splitting on send.

import { describe, expect, it } from 'vitest';
import {
  type AsPath,
  decodeMessage,
  encodeMessage,
  mergeAs4Path,
  type PathAttributes,
  splitAs4Path,
} from '../../../../src/bgp/wire/index.js';
import { HAND } from './fixtures/hand.js';

const seq = (...asns: number[]) => ({ type: 'sequence' as const, asns });
const set = (...asns: number[]) => ({ type: 'set' as const, asns });

describe('mergeAs4Path', () => {
  it('rebuilds the true path of the 2-octet fixture', () => {
    const f = HAND.find((h) => h.name.startsWith('UPDATE to/from a 2-octet'));
    const m = decodeMessage(f?.bytes ?? Buffer.alloc(0), { fourOctetAs: false, extendedMessage: false }).message;
    if (m.type !== 'update') throw new Error('not an update');
    expect(mergeAs4Path(m.attributes)).toEqual({
      asPath: [seq(65001, 4200000001, 4200000002)],
      aggregator: { asn: 4200000002, address: '192.0.2.9' },
    });
  });

  it.each<[string, AsPath, AsPath | undefined, AsPath]>([
    ['no AS4_PATH: AS_PATH as is', [seq(1, 2)], undefined, [seq(1, 2)]],
    ['AS4_PATH longer than AS_PATH is ignored', [seq(1)], [seq(4200000001, 4200000002)], [seq(1)]],
    ['equal length: AS4_PATH wins', [seq(23456, 23456)], [seq(4200000001, 4200000002)], [seq(4200000001, 4200000002)]],
    [
      'a set counts as one',
      [seq(100, 23456), set(1, 2, 3)],
      [seq(4200000001), set(7, 8)],
      [seq(100, 4200000001), set(7, 8)],
    ],
    [
      'confederation segments count zero and stay in front',
      [{ type: 'confed-sequence', asns: [64512] }, seq(100, 23456)],
      [seq(4200000001)],
      [{ type: 'confed-sequence', asns: [64512] }, seq(100, 4200000001)],
    ],
  ])('%s', (_n, asPath, as4Path, expected) => {
    const attrs: PathAttributes = as4Path ? { asPath, as4Path } : { asPath };
    expect(mergeAs4Path(attrs).asPath).toEqual(expected);
  });

  it('a real AGGREGATOR with AS4_AGGREGATOR means both AS4 attributes are ignored', () => {
    const attrs: PathAttributes = {
      asPath: [seq(65001, 23456)],
      as4Path: [seq(4200000001)],
      aggregator: { asn: 65001, address: '192.0.2.1' },
      as4Aggregator: { asn: 4200000001, address: '192.0.2.2' },
    };
    expect(mergeAs4Path(attrs)).toEqual({ asPath: attrs.asPath, aggregator: attrs.aggregator });
  });
});

describe('splitAs4Path', () => {
  it('maps big ASNs to AS_TRANS and adds AS4_PATH / AS4_AGGREGATOR, which merge back', () => {
    const attrs: PathAttributes = {
      origin: 'igp',
      asPath: [seq(65001, 4200000001), set(4200000002, 7)],
      nextHop: '192.0.2.1',
      aggregator: { asn: 4200000003, address: '192.0.2.3' },
    };
    const split = splitAs4Path(attrs);
    expect(split.asPath).toEqual([seq(65001, 23456), set(23456, 7)]);
    expect(split.as4Path).toEqual(attrs.asPath);
    expect(split.aggregator).toEqual({ asn: 23456, address: '192.0.2.3' });
    const ctx = { fourOctetAs: false, extendedMessage: false };
    const wire = encodeMessage({ type: 'update', withdrawn: [], attributes: split, nlri: [] }, ctx);
    const back = decodeMessage(wire, ctx).message;
    if (back.type !== 'update') throw new Error('not an update');
    expect(mergeAs4Path(back.attributes)).toEqual({ asPath: attrs.asPath, aggregator: attrs.aggregator });
  });

  it('adds nothing when every ASN fits two octets', () => {
    const attrs: PathAttributes = { asPath: [seq(65001)] };
    expect(splitAs4Path(attrs)).toEqual(attrs);
  });

  it('the encoder refuses a big ASN in a 2-octet AS_PATH instead of truncating it', () => {
    const m = { type: 'update' as const, withdrawn: [], attributes: { asPath: [seq(4200000001)] }, nlri: [] };
    expect(() => encodeMessage(m, { fourOctetAs: false, extendedMessage: false })).toThrow(/AS_TRANS/);
  });
});

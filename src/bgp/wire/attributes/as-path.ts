// AS_PATH (type 2, well-known mandatory), RFC 4271 §4.3/§5.1.2, confederation segments RFC 5065 §3.
// The ASN width depends on the session: 4 octets once both sides advertised the 4-octet AS
// capability, else 2 (RFC 6793 §4). AS4_PATH (as4-path.ts) shares this segment format with
// 4-octet ASNs always. Malformed -> treat-as-withdraw (RFC 7606 §7.2).

import { Reader, Writer } from '../bytes.js';
import { EncodeError } from '../errors.js';
import { UpdateSubcode } from '../notification-codes.js';
import { AttrFault } from './fault.js';

export type AsPathSegmentType = 'set' | 'sequence' | 'confed-sequence' | 'confed-set';

export interface AsPathSegment {
  readonly type: AsPathSegmentType;
  readonly asns: readonly number[];
}

export type AsPath = readonly AsPathSegment[];

const SEGMENT_CODES: Readonly<Record<AsPathSegmentType, number>> = {
  set: 1,
  sequence: 2,
  'confed-sequence': 3,
  'confed-set': 4,
};
const SEGMENT_TYPES: Readonly<Record<number, AsPathSegmentType>> = {
  1: 'set',
  2: 'sequence',
  3: 'confed-sequence',
  4: 'confed-set',
};

/**
 * RFC 7606 §7.2: malformed if a segment overruns or underruns the attribute, has length zero, or
 * has an unknown type. `subcode` differs: AS_PATH errors are Malformed AS_PATH (11), AS4_PATH
 * errors Optional Attribute Error (9).
 */
export function decodeAsPathSegments(value: Uint8Array, asnSize: 2 | 4, subcode: number): AsPath {
  const segments: AsPathSegment[] = [];
  const r = new Reader(value, () => new AttrFault(subcode, 'AS path segment overruns the attribute'));
  while (r.remaining > 0) {
    const code = r.u8();
    const count = r.u8();
    const type = SEGMENT_TYPES[code];
    if (!type) throw new AttrFault(subcode, `unknown AS path segment type ${code}`);
    if (count === 0) throw new AttrFault(subcode, 'AS path segment of length zero');
    const asns: number[] = [];
    for (let i = 0; i < count; i++) asns.push(asnSize === 4 ? r.u32() : r.u16());
    segments.push({ type, asns });
  }
  return segments;
}

/** Segments longer than 255 ASNs are split (the count is one octet), so that always encodes. */
export function encodeAsPathSegments(path: AsPath, asnSize: 2 | 4): Buffer {
  const w = new Writer(64);
  for (const seg of path) {
    const max = asnSize === 4 ? 0xffffffff : 0xffff;
    for (let start = 0; start < seg.asns.length; start += 255) {
      const chunk = seg.asns.slice(start, start + 255);
      w.u8(SEGMENT_CODES[seg.type]).u8(chunk.length);
      for (const asn of chunk) {
        if (!Number.isInteger(asn) || asn < 0 || asn > max) {
          throw new EncodeError(`ASN ${asn} does not fit ${asnSize} octets (map it to AS_TRANS, RFC 6793 §4.2.2)`);
        }
        if (asnSize === 4) w.u32(asn);
        else w.u16(asn);
      }
    }
  }
  return w.toBuffer();
}

export function decodeAsPath(value: Uint8Array, fourOctetAs: boolean): AsPath {
  return decodeAsPathSegments(value, fourOctetAs ? 4 : 2, UpdateSubcode.MALFORMED_AS_PATH);
}

export function encodeAsPath(path: AsPath, fourOctetAs: boolean): Buffer {
  return encodeAsPathSegments(path, fourOctetAs ? 4 : 2);
}

/** RFC 4271 §9.1.2.2 a: path length for the decision process; a set counts 1, confed segments 0 (RFC 5065 §5.3). */
export function asPathLength(path: AsPath): number {
  let n = 0;
  for (const seg of path) {
    if (seg.type === 'sequence') n += seg.asns.length;
    else if (seg.type === 'set') n += 1;
  }
  return n;
}

/** The neighbouring AS a route was learned from: the first ASN of a leading AS_SEQUENCE. */
export function firstAs(path: AsPath): number | undefined {
  const seg = path[0];
  return seg?.type === 'sequence' ? seg.asns[0] : undefined;
}

/**
 * RFC 4271 §5.1.2: prepend an ASN as an eBGP speaker does (into a leading AS_SEQUENCE, or a new
 * one); `confederation` prepends to an AS_CONFED_SEQUENCE instead (RFC 5065 §4).
 */
export function prependAs(path: AsPath, asn: number, opts: { readonly confederation?: boolean } = {}): AsPath {
  const type = opts.confederation ? 'confed-sequence' : 'sequence';
  const head = path[0];
  if (head && head.type === type && head.asns.length < 255) {
    return [{ type, asns: [asn, ...head.asns] }, ...path.slice(1)];
  }
  return [{ type, asns: [asn] }, ...path];
}

// The path attributes field of an UPDATE: a sequence of (flags, type, length, value), RFC 4271
// §4.3. Decoding applies RFC 7606: a bad attribute becomes a *problem* carrying its action
// (treat-as-withdraw or attribute-discard) and decoding goes on; what requires a session reset
// (or AFI/SAFI disable) is thrown. Encoding writes MP_REACH/MP_UNREACH first, then the rest in
// ascending type order (RFC 4271 §5 SHOULD; BIRD and FRR do the same, so captures round-trip).

import { AttrFlag, AttrType } from '../constants.js';
import type { CodecContext } from '../context.js';
import { EncodeError, WireError, type WireErrorInit } from '../errors.js';
import { ErrorCode, UpdateSubcode } from '../notification-codes.js';
import { AttrFault } from './fault.js';
import type { MutablePathAttributes, PathAttributes } from './path-attributes.js';
import { ATTR_SPECS } from './registry.js';
import type { UnknownAttribute } from './unknown.js';

export interface AttributesDecodeResult {
  readonly attributes: PathAttributes;
  /** Non-fatal problems (treat-as-withdraw, attribute-discard), in the order found. */
  readonly problems: readonly WireError[];
}

const isMp = (t: number): boolean => t === AttrType.MP_REACH_NLRI || t === AttrType.MP_UNREACH_NLRI;

/** A WireError of code 3 (UPDATE Message Error); the rest as WireErrorInit. */
function updateError(init: Omit<WireErrorInit, 'code'>): WireError {
  return new WireError({ code: ErrorCode.UPDATE_MESSAGE, ...init });
}

/** Throws only for session-reset / af-disable; everything else is returned as a problem. */
export function decodeAttributes(field: Buffer, ctx: CodecContext): AttributesDecodeResult {
  const into: MutablePathAttributes = {};
  const problems: WireError[] = [];
  const unknown: UnknownAttribute[] = [];
  const partial: number[] = [];
  const extendedLength: number[] = [];
  const seen = new Set<number>();
  const report = (e: WireError): void => {
    if (e.action === 'session-reset' || e.action === 'af-disable') throw e;
    problems.push(e);
  };

  let pos = 0;
  while (pos < field.length) {
    const flags = field[pos] ?? 0;
    const typeCode = field[pos + 1] ?? 0;
    const hdr = flags & AttrFlag.EXTENDED_LENGTH ? 4 : 3;
    const left = field.length - pos;
    // RFC 7606 §4: too few octets for a header, or a length running past the field: both
    // treat-as-withdraw, and the Total Attribute Length still tells where the NLRI starts.
    // An MP_* attribute cut short hides NLRI we cannot withdraw, so that one resets (§5.3).
    if (left < hdr) {
      const mp = left >= 2 && isMp(typeCode);
      report(updateError({ subcode: UpdateSubcode.MALFORMED_ATTRIBUTE_LIST, detail: 'attribute header truncated',
        action: mp ? 'session-reset' : 'treat-as-withdraw', attr: left >= 2 ? typeCode : undefined }));
      break;
    }
    const length = hdr === 4 ? field.readUInt16BE(pos + 2) : (field[pos + 2] ?? 0);
    if (hdr + length > left) {
      const action = isMp(typeCode) ? 'session-reset' : 'treat-as-withdraw';
      report(updateError({ subcode: UpdateSubcode.ATTRIBUTE_LENGTH_ERROR, action, attr: typeCode,
        detail: 'attribute overruns the attribute field', data: field.subarray(pos) }));
      break;
    }
    const raw = field.subarray(pos, pos + hdr + length);
    const value = field.subarray(pos + hdr, pos + hdr + length);
    pos += hdr + length;

    const spec = ATTR_SPECS.get(typeCode);
    if (seen.has(typeCode)) {
      // RFC 7606 §3(g): a repeated MP_* resets; any other repeat is discarded, first one wins.
      report(updateError({ subcode: UpdateSubcode.MALFORMED_ATTRIBUTE_LIST, attr: typeCode, data: raw,
        action: isMp(typeCode) ? 'session-reset' : 'attribute-discard', detail: 'duplicate attribute' }));
      continue;
    }
    seen.add(typeCode);
    if (!spec) {
      // RFC 4271 §6.3: an unrecognised well-known attribute is an error; optional ones are kept.
      if (!(flags & AttrFlag.OPTIONAL)) {
        report(updateError({ subcode: UpdateSubcode.UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE, action: 'session-reset',
          attr: typeCode, data: raw, detail: 'unrecognised well-known attribute' }));
        continue;
      }
      unknown.push({ flags: flags & 0xf0, typeCode, value: Buffer.from(value) });
      continue;
    }
    const action = spec.action(ctx);
    if ((flags & (AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE)) !== spec.flags) {
      // RFC 7606 §3(c): Optional/Transitive bits in conflict -> malformed, the attribute's action.
      report(updateError({ subcode: UpdateSubcode.ATTRIBUTE_FLAGS_ERROR, action, attr: typeCode, data: raw,
        detail: `${spec.name} flags 0x${flags.toString(16)}` }));
      continue;
    }
    if (ctx.fourOctetAs && (typeCode === AttrType.AS4_PATH || typeCode === AttrType.AS4_AGGREGATOR)) {
      // RFC 6793 §4.1: between NEW speakers these attributes have no business; discard them.
      report(updateError({ subcode: UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR, action: 'attribute-discard',
        attr: typeCode, data: raw, detail: `${spec.name} from a 4-octet AS speaker` }));
      continue;
    }
    try {
      spec.read(value, ctx, into);
    } catch (e) {
      if (!(e instanceof AttrFault)) throw e;
      report(updateError({ subcode: e.subcode, action, attr: typeCode, data: e.data ?? raw,
        detail: `${spec.name}: ${e.message}` }));
      continue;
    }
    if (flags & AttrFlag.PARTIAL && spec.flags === (AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE)) partial.push(typeCode);
    if (hdr === 4 && length <= 255) extendedLength.push(typeCode);
  }
  // Canonical order (the order encodeAttributes writes), so decode(encode(decode(x))) is stable
  // even for a peer that sends attributes out of order.
  const byWire = (a: number, b: number): number => wireOrder(a) - wireOrder(b);
  if (unknown.length) into.unknown = unknown.sort((a, b) => a.typeCode - b.typeCode);
  if (partial.length) into.partial = partial.sort(byWire);
  if (extendedLength.length) into.extendedLength = extendedLength.sort(byWire);
  return { attributes: into, problems };
}

interface Encoded {
  readonly flags: number;
  readonly typeCode: number;
  readonly value: Buffer;
}

/** Order on the wire: MP_REACH_NLRI, MP_UNREACH_NLRI, then ascending type code. */
function wireOrder(t: number): number {
  return t === AttrType.MP_REACH_NLRI ? -2 : t === AttrType.MP_UNREACH_NLRI ? -1 : t;
}

export function encodeAttributes(attrs: PathAttributes, ctx: CodecContext): Buffer {
  const items: Encoded[] = [];
  for (const spec of ATTR_SPECS.values()) {
    const value = spec.write(attrs, ctx);
    if (value === undefined) continue;
    let flags = spec.flags;
    if (attrs.partial?.includes(spec.typeCode)) flags |= AttrFlag.PARTIAL;
    if (attrs.extendedLength?.includes(spec.typeCode)) flags |= AttrFlag.EXTENDED_LENGTH;
    items.push({ flags, typeCode: spec.typeCode, value });
  }
  for (const u of attrs.unknown ?? []) {
    if (ATTR_SPECS.has(u.typeCode)) throw new EncodeError(`attribute ${u.typeCode} is known; use its field`);
    items.push({ flags: u.flags, typeCode: u.typeCode, value: Buffer.from(u.value) });
  }
  items.sort((a, b) => wireOrder(a.typeCode) - wireOrder(b.typeCode));
  const parts: Buffer[] = [];
  for (const it of items) {
    if (it.value.length > 0xffff) throw new EncodeError(`attribute ${it.typeCode} value exceeds 65535 octets`);
    const ext = it.value.length > 255 || (it.flags & AttrFlag.EXTENDED_LENGTH) !== 0;
    const flags = ext ? it.flags | AttrFlag.EXTENDED_LENGTH : it.flags & ~AttrFlag.EXTENDED_LENGTH;
    const hdr = Buffer.alloc(ext ? 4 : 3);
    hdr[0] = flags & 0xf0; // low four bits are unused and MUST be zero (RFC 4271 §4.3)
    hdr[1] = it.typeCode;
    if (ext) hdr.writeUInt16BE(it.value.length, 2);
    else hdr[2] = it.value.length;
    parts.push(hdr, it.value);
  }
  return Buffer.concat(parts);
}

// UPDATE, RFC 4271 §4.3: Withdrawn Routes (IPv4), Path Attributes, NLRI (IPv4); other families
// travel in MP_REACH_NLRI / MP_UNREACH_NLRI (RFC 4760).
//
// Error handling design (RFC 4271 §6.3 as revised by RFC 7606):
// - What RFC 7606 still answers with a session reset (framing of the three fields, NLRI syntax,
//   MP_* errors, unrecognised well-known attributes) is *thrown* as a WireError; the session
//   sends `notificationFromError(e)` and closes (or, for action 'af-disable', may disable just
//   that AFI/SAFI).
// - Everything else is *returned*: decodeUpdate yields the message, the list of problems (each a
//   WireError with its action) and the strongest action. 'attribute-discard' problems have
//   already been applied (the attribute is absent from `message.attributes`). For
//   'treat-as-withdraw' the message is returned as parsed so the session can see exactly what
//   was announced, and `updateRoutes(result)` turns every announced prefix into a withdrawal.
//   Nothing is sent to the peer for returned problems; they are for logs and counters.

import { Reader, Writer } from '../bytes.js';
import { AFI_IPV4, AttrType } from '../constants.js';
import type { CodecContext } from '../context.js';
import { EncodeError, strongerAction, type UpdateAction, WireError } from '../errors.js';
import { ErrorCode, UpdateSubcode } from '../notification-codes.js';
import { decodePrefixes, type Prefix, writePrefix } from '../prefix.js';
import { decodeAttributes, encodeAttributes } from '../attributes/codec.js';
import type { PathAttributes } from '../attributes/path-attributes.js';

export interface UpdateMessage {
  readonly type: 'update';
  /** IPv4 unicast withdrawals (the Withdrawn Routes field). */
  readonly withdrawn: readonly Prefix[];
  readonly attributes: PathAttributes;
  /** IPv4 unicast announcements (the NLRI field), next hop in attributes.nextHop. */
  readonly nlri: readonly Prefix[];
}

export interface UpdateDecodeResult {
  readonly message: UpdateMessage;
  /** Non-fatal problems found, each with its RFC 7606 action. */
  readonly problems: readonly WireError[];
  /** The strongest action among `problems` (RFC 7606 §3). */
  readonly action: UpdateAction;
}

function fatal(subcode: number, detail: string): WireError {
  return new WireError({ code: ErrorCode.UPDATE_MESSAGE, subcode, action: 'session-reset', detail });
}

/** Well-known mandatory attributes needed when routes are announced (RFC 4271 §5, RFC 4760 §3). */
function missingWellKnown(m: UpdateMessage, seen: ReadonlySet<number>): number[] {
  const a = m.attributes;
  const mpAnnounces = a.mpReach !== undefined;
  if (m.nlri.length === 0 && !mpAnnounces) return [];
  const missing: number[] = [];
  if (a.origin === undefined) missing.push(AttrType.ORIGIN);
  if (a.asPath === undefined) missing.push(AttrType.AS_PATH);
  // RFC 4760 §3: NEXT_HOP is only needed for the IPv4 NLRI field.
  if (m.nlri.length > 0 && a.nextHop === undefined) missing.push(AttrType.NEXT_HOP);
  // An attribute present but malformed already has its problem; do not report it twice.
  return missing.filter((t) => !seen.has(t));
}

export function decodeUpdate(body: Uint8Array, ctx: CodecContext): UpdateDecodeResult {
  const r = new Reader(body, () => fatal(UpdateSubcode.MALFORMED_ATTRIBUTE_LIST, 'UPDATE field lengths overrun'));
  // RFC 4271 §6.3 / RFC 7606 §5.3: field lengths that do not add up reset the session.
  const withdrawnField = r.bytes(r.u16());
  const attrField = r.bytes(r.u16());
  const nlriField = r.rest();
  const netError = (field: string) => (d: string) => fatal(UpdateSubcode.INVALID_NETWORK_FIELD, `${field}: ${d}`);
  const withdrawn = decodePrefixes(withdrawnField, AFI_IPV4, netError('withdrawn routes'));
  const { attributes, problems } = decodeAttributes(attrField, ctx);
  const nlri = decodePrefixes(nlriField, AFI_IPV4, netError('NLRI'));
  const message: UpdateMessage = { type: 'update', withdrawn, attributes, nlri };

  const all = [...problems];
  const seen = new Set(problems.map((p) => p.attr).filter((t): t is number => t !== undefined));
  for (const t of missingWellKnown(message, seen)) {
    // RFC 7606 §3(d): treat-as-withdraw; RFC 4271 §6.3: data is the missing type code.
    all.push(new WireError({ code: ErrorCode.UPDATE_MESSAGE, subcode: UpdateSubcode.MISSING_WELL_KNOWN_ATTRIBUTE,
      action: 'treat-as-withdraw', attr: t, data: Buffer.from([t]), detail: 'missing well-known attribute' }));
  }
  let action: UpdateAction = 'none';
  for (const p of all) {
    if (p.action === 'treat-as-withdraw' || p.action === 'attribute-discard') action = strongerAction(action, p.action);
  }
  return { message, problems: all, action };
}

export function encodeUpdate(m: UpdateMessage, ctx: CodecContext): Buffer {
  const w = new Writer(64 + 5 * (m.withdrawn.length + m.nlri.length));
  const field = (prefixes: readonly Prefix[], what: string): void => {
    const at = w.length;
    w.u16(0);
    for (const p of prefixes) {
      if (p.afi !== AFI_IPV4) throw new EncodeError(`${what} holds only IPv4 prefixes; use MP_* attributes`);
      writePrefix(w, p);
    }
    w.u16At(at, w.length - at - 2);
  };
  field(m.withdrawn, 'Withdrawn Routes');
  const attrs = encodeAttributes(m.attributes, ctx);
  if (attrs.length > 0xffff) throw new EncodeError('path attributes exceed 65535 octets');
  w.u16(attrs.length).bytes(attrs);
  for (const p of m.nlri) {
    if (p.afi !== AFI_IPV4) throw new EncodeError('NLRI holds only IPv4 prefixes; use MP_REACH_NLRI');
    writePrefix(w, p);
  }
  return w.toBuffer();
}

/** Routes announced with one next hop: the IPv4 NLRI field, or one MP_REACH_NLRI. */
export interface Announcement {
  readonly prefixes: readonly Prefix[];
  readonly nextHop: string | undefined;
  readonly linkLocalNextHop?: string;
}

export interface UpdateRoutes {
  /** Every prefix to remove: withdrawn fields of all families, plus all NLRI under treat-as-withdraw. */
  readonly withdrawn: readonly Prefix[];
  /** Empty under treat-as-withdraw. */
  readonly announced: readonly Announcement[];
  /** Attributes shared by the announcements, MP_* removed. */
  readonly attributes: PathAttributes;
}

/**
 * The route-level meaning of a decoded UPDATE, with RFC 7606 treat-as-withdraw applied. Families
 * other than IPv4/IPv6 unicast (MP_* kept raw) are not routes here.
 */
export function updateRoutes(result: UpdateDecodeResult): UpdateRoutes {
  const { withdrawn, nlri, attributes } = result.message;
  const { mpReach, mpUnreach, ...shared } = attributes;
  const out: Prefix[] = [...withdrawn];
  if (mpUnreach?.type === 'unicast') out.push(...mpUnreach.withdrawn);
  const announced: Announcement[] = [];
  if (nlri.length) announced.push({ prefixes: nlri, nextHop: attributes.nextHop });
  if (mpReach?.type === 'unicast' && mpReach.nlri.length) {
    announced.push(
      mpReach.linkLocalNextHop === undefined
        ? { prefixes: mpReach.nlri, nextHop: mpReach.nextHop }
        : { prefixes: mpReach.nlri, nextHop: mpReach.nextHop, linkLocalNextHop: mpReach.linkLocalNextHop },
    );
  }
  if (result.action === 'treat-as-withdraw') {
    for (const a of announced) out.push(...a.prefixes);
    return { withdrawn: out, announced: [], attributes: shared };
  }
  return { withdrawn: out, announced, attributes: shared };
}

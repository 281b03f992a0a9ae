// OPEN, RFC 4271 §4.2: version, My AS, Hold Time, BGP Identifier, Optional Parameters. The only
// optional parameter in use is Capabilities (type 2, RFC 5492); RFC 9072's extended parameter
// length is read and written when the parameters exceed 255 octets. Checks that need our
// configuration (peer AS, hold time acceptance, identifier clash) are in validate.ts.

import { formatIpv4, parseIpv4 } from '../address.js';
import { Reader } from '../bytes.js';
import { AS_TRANS, OPT_PARAM_CAPABILITIES, OPT_PARAM_EXTENDED } from '../constants.js';
import type { CodecContext } from '../context.js';
import { EncodeError, WireError } from '../errors.js';
import { ErrorCode, OpenSubcode } from '../notification-codes.js';
import type { Capability, CapabilityType } from '../capabilities/capability.js';
import { decodeCapabilities, encodeCapability } from '../capabilities/codec.js';

export interface OpenMessage {
  readonly type: 'open';
  /** The 2-octet My AS field: the real ASN, or AS_TRANS when that is > 65535 (RFC 6793 §4.1). */
  readonly myAs: number;
  /** Seconds; 0 or >= 3 (RFC 4271 §4.2), checked by validateOpen. */
  readonly holdTime: number;
  /** BGP Identifier in dotted-quad form. */
  readonly bgpId: string;
  readonly capabilities: readonly Capability[];
  /**
   * How the capabilities were (or are to be) laid out: all in one Optional Parameter (BIRD,
   * GoBGP; the default) or one parameter each (FRR). RFC 5492 §4 allows both; kept so captured
   * OPENs re-encode byte for byte.
   */
  readonly capabilityLayout?: 'one-per-parameter';
}

const BGP_VERSION = 4;

function openError(subcode: number, detail: string, data?: Uint8Array): WireError {
  return new WireError({ code: ErrorCode.OPEN_MESSAGE, subcode, action: 'session-reset', detail, data });
}

export function decodeOpen(body: Uint8Array): OpenMessage {
  const r = new Reader(body, () => openError(OpenSubcode.UNSPECIFIC, 'OPEN shorter than its fields'));
  const version = r.u8();
  // RFC 4271 §6.2: data = the largest version we support, as 2 octets.
  if (version !== BGP_VERSION) {
    throw openError(OpenSubcode.UNSUPPORTED_VERSION, `version ${version}`, Buffer.from([0, BGP_VERSION]));
  }
  const myAs = r.u16();
  const holdTime = r.u16();
  const bgpId = formatIpv4(r.bytes(4));
  let paramsLen = r.u8();
  let extended = false;
  // RFC 9072 §2: Non-Ext OP Len 255 followed by Non-Ext OP Type 255 announces 2-octet lengths.
  if (paramsLen === 255 && r.remaining >= 1 && body[r.offset] === OPT_PARAM_EXTENDED) {
    r.u8();
    paramsLen = r.u16();
    extended = true;
  }
  if (paramsLen !== r.remaining) {
    throw openError(OpenSubcode.UNSPECIFIC, `optional parameters length ${paramsLen}, ${r.remaining} octets left`);
  }
  const capabilities: Capability[] = [];
  let params = 0;
  let singles = 0;
  while (r.remaining > 0) {
    const type = r.u8();
    const len = extended ? r.u16() : r.u8();
    const value = r.bytes(len);
    // RFC 4271 §6.2: an optional parameter we do not recognise (including the deprecated
    // Authentication, type 1) is Unsupported Optional Parameter.
    if (type !== OPT_PARAM_CAPABILITIES) {
      throw openError(OpenSubcode.UNSUPPORTED_OPTIONAL_PARAMETER, `optional parameter type ${type}`);
    }
    const caps = decodeCapabilities(value);
    params++;
    if (caps.length === 1) singles++;
    capabilities.push(...caps);
  }
  const open: OpenMessage = { type: 'open', myAs, holdTime, bgpId, capabilities };
  return params > 1 && singles === params ? { ...open, capabilityLayout: 'one-per-parameter' } : open;
}

export function encodeOpen(m: OpenMessage): Buffer {
  const tlvs = m.capabilities.map(encodeCapability);
  const groups = m.capabilityLayout === 'one-per-parameter' ? tlvs.map((t) => [t]) : tlvs.length ? [tlvs] : [];
  const values = groups.map((g) => Buffer.concat(g));
  const plainLen = values.reduce((n, v) => n + 2 + v.length, 0);
  const extended = plainLen > 255 || values.some((v) => v.length > 255);
  const head = Buffer.alloc(10);
  head[0] = BGP_VERSION;
  head.writeUInt16BE(m.myAs, 1);
  head.writeUInt16BE(m.holdTime, 3);
  parseIpv4(m.bgpId).copy(head, 5);
  const params: Buffer[] = [];
  for (const v of values) {
    const h = extended ? Buffer.alloc(3) : Buffer.alloc(2);
    h[0] = OPT_PARAM_CAPABILITIES;
    if (extended) h.writeUInt16BE(v.length, 1);
    else h[1] = v.length;
    params.push(h, v);
  }
  const p = Buffer.concat(params);
  if (!extended) {
    head[9] = p.length;
    return Buffer.concat([head, p]);
  }
  if (p.length > 0xffff) throw new EncodeError('OPEN optional parameters exceed 65535 octets');
  head[9] = 255;
  const ext = Buffer.alloc(3);
  ext[0] = OPT_PARAM_EXTENDED;
  ext.writeUInt16BE(p.length, 1);
  return Buffer.concat([head, ext, p]);
}

/** An OPEN for our side: AS_TRANS in My AS when needed, and the 4-octet AS capability always. */
export function buildOpen(opts: {
  readonly asn: number;
  readonly holdTime: number;
  readonly bgpId: string;
  readonly capabilities: readonly Capability[];
}): OpenMessage {
  const caps = opts.capabilities.filter((c) => c.type !== 'four-octet-as');
  return {
    type: 'open',
    myAs: opts.asn > 0xffff ? AS_TRANS : opts.asn,
    holdTime: opts.holdTime,
    bgpId: opts.bgpId,
    capabilities: [...caps, { type: 'four-octet-as', asn: opts.asn }],
  };
}

export function findCapability<T extends CapabilityType>(
  open: OpenMessage,
  type: T,
): Extract<Capability, { type: T }> | undefined {
  return open.capabilities.find((c): c is Extract<Capability, { type: T }> => c.type === type);
}

/** The speaker's real AS: from the 4-octet AS capability if present, else My AS (RFC 6793 §4.1). */
export function openAsn(open: OpenMessage): number {
  return findCapability(open, 'four-octet-as')?.asn ?? open.myAs;
}

/** The codec context both OPENs agree on (RFC 6793 §3, RFC 8654 §3: both must advertise). */
export function negotiateContext(local: OpenMessage, remote: OpenMessage, opts: { ebgp?: boolean } = {}): CodecContext {
  const both = (t: CapabilityType): boolean =>
    findCapability(local, t) !== undefined && findCapability(remote, t) !== undefined;
  return { fourOctetAs: both('four-octet-as'), extendedMessage: both('extended-message'), ebgp: opts.ebgp };
}

// Capability TLVs (RFC 5492 §4: code, length, value) inside an OPEN Optional Parameter of type 2.
// Strictness is deliberate: the two capabilities that change how we parse later messages
// (multiprotocol, 4-octet AS) must be well-formed, else OPEN Message Error; a malformed value of
// any other capability is kept raw as `unknown` (we then simply do not use it), which is what
// RFC 5492 §3 asks of capabilities a speaker does not understand.

import { asBuffer, Reader } from '../bytes.js';
import { CapabilityCode } from '../constants.js';
import { EncodeError, WireError } from '../errors.js';
import { ErrorCode, OpenSubcode } from '../notification-codes.js';
import { assertNever } from '../../../errors.js';
import { decodeAddPath, encodeAddPath } from './add-path.js';
import type { Capability } from './capability.js';
import { decodeExtendedNextHop, encodeExtendedNextHop } from './extended-next-hop.js';
import { decodeFqdn, encodeFqdn } from './fqdn.js';
import { decodeGracefulRestart, encodeGracefulRestart } from './graceful-restart.js';
import { decodeLongLivedGr, encodeLongLivedGr } from './long-lived-gr.js';
import { decodeRole, encodeRole } from './role.js';

function openError(detail: string, data?: Uint8Array): WireError {
  return new WireError({ code: ErrorCode.OPEN_MESSAGE, subcode: OpenSubcode.UNSPECIFIC, action: 'session-reset',
    detail, data });
}

function decodeOne(code: number, value: Buffer, tlv: Buffer): Capability {
  const raw = (): Capability => ({ type: 'unknown', code, data: Buffer.from(value) });
  const presence = (type: 'route-refresh' | 'route-refresh-cisco' | 'enhanced-route-refresh' | 'extended-message') =>
    value.length === 0 ? { type } : raw();
  switch (code) {
    case CapabilityCode.MULTIPROTOCOL:
      // RFC 4760 §8: AFI (2), reserved (1), SAFI (1).
      if (value.length !== 4) throw openError('multiprotocol capability length is not 4', tlv);
      return { type: 'multiprotocol', afi: value.readUInt16BE(0), safi: value[3] ?? 0 };
    case CapabilityCode.FOUR_OCTET_AS:
      if (value.length !== 4) throw openError('4-octet AS capability length is not 4', tlv);
      return { type: 'four-octet-as', asn: value.readUInt32BE(0) };
    case CapabilityCode.ROUTE_REFRESH:
      return presence('route-refresh');
    case CapabilityCode.ROUTE_REFRESH_CISCO:
      return presence('route-refresh-cisco');
    case CapabilityCode.ENHANCED_ROUTE_REFRESH:
      return presence('enhanced-route-refresh');
    case CapabilityCode.EXTENDED_MESSAGE:
      return presence('extended-message');
    case CapabilityCode.GRACEFUL_RESTART:
      return decodeGracefulRestart(value) ?? raw();
    case CapabilityCode.LONG_LIVED_GRACEFUL_RESTART:
      return decodeLongLivedGr(value) ?? raw();
    case CapabilityCode.ADD_PATH:
      return decodeAddPath(value) ?? raw();
    case CapabilityCode.FQDN:
      return decodeFqdn(value) ?? raw();
    case CapabilityCode.ROLE:
      return decodeRole(value) ?? raw();
    case CapabilityCode.EXTENDED_NEXT_HOP:
      return decodeExtendedNextHop(value) ?? raw();
    default:
      return raw();
  }
}

/** The value of one Capabilities Optional Parameter: any number of capabilities (RFC 5492 §4). */
export function decodeCapabilities(param: Uint8Array): Capability[] {
  const out: Capability[] = [];
  const buf = asBuffer(param);
  const r = new Reader(buf, () => openError('capability overruns its optional parameter'));
  while (r.remaining > 0) {
    const start = r.offset;
    const code = r.u8();
    const len = r.u8();
    const value = r.bytes(len);
    out.push(decodeOne(code, value, buf.subarray(start, r.offset)));
  }
  return out;
}

function codeAndValue(c: Capability): [number, Buffer] {
  switch (c.type) {
    case 'multiprotocol': {
      const v = Buffer.alloc(4);
      v.writeUInt16BE(c.afi);
      v[3] = c.safi;
      return [CapabilityCode.MULTIPROTOCOL, v];
    }
    case 'four-octet-as': {
      const v = Buffer.alloc(4);
      v.writeUInt32BE(c.asn);
      return [CapabilityCode.FOUR_OCTET_AS, v];
    }
    case 'route-refresh':
      return [CapabilityCode.ROUTE_REFRESH, Buffer.alloc(0)];
    case 'route-refresh-cisco':
      return [CapabilityCode.ROUTE_REFRESH_CISCO, Buffer.alloc(0)];
    case 'enhanced-route-refresh':
      return [CapabilityCode.ENHANCED_ROUTE_REFRESH, Buffer.alloc(0)];
    case 'extended-message':
      return [CapabilityCode.EXTENDED_MESSAGE, Buffer.alloc(0)];
    case 'graceful-restart':
      return [CapabilityCode.GRACEFUL_RESTART, encodeGracefulRestart(c)];
    case 'long-lived-graceful-restart':
      return [CapabilityCode.LONG_LIVED_GRACEFUL_RESTART, encodeLongLivedGr(c)];
    case 'add-path':
      return [CapabilityCode.ADD_PATH, encodeAddPath(c)];
    case 'fqdn':
      return [CapabilityCode.FQDN, encodeFqdn(c)];
    case 'role':
      return [CapabilityCode.ROLE, encodeRole(c)];
    case 'extended-next-hop':
      return [CapabilityCode.EXTENDED_NEXT_HOP, encodeExtendedNextHop(c)];
    case 'unknown':
      return [c.code, Buffer.from(c.data)];
    default:
      return assertNever(c, 'capability');
  }
}

/** One capability as a TLV. */
export function encodeCapability(c: Capability): Buffer {
  const [code, value] = codeAndValue(c);
  if (value.length > 255) throw new EncodeError(`capability ${code} value exceeds 255 octets`);
  return Buffer.concat([Buffer.from([code, value.length]), value]);
}

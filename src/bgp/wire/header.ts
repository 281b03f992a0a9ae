// The 19-octet message header, RFC 4271 §4.1, and its checks (§6.1): marker all ones
// (Connection Not Synchronized), length within bounds for the type (Bad Message Length, data =
// the length field), known type (Bad Message Type, data = the type octet). All session resets.

import { HEADER_LENGTH, MAX_MESSAGE_LENGTH, MIN_MESSAGE_LENGTH, MessageType, type MessageTypeCode } from './constants.js';
import { EncodeError, WireError } from './errors.js';
import { ErrorCode, HeaderSubcode } from './notification-codes.js';

export interface Header {
  readonly type: MessageTypeCode;
  readonly length: number;
}

const KNOWN = new Set<number>(Object.values(MessageType));

function headerError(subcode: number, detail: string, data?: Uint8Array): WireError {
  return new WireError({ code: ErrorCode.MESSAGE_HEADER, subcode, action: 'session-reset', detail, data });
}

/**
 * Checks the first 19 octets of `bytes`. `maxLength` is 4096, or 65535 with Extended Message;
 * RFC 8654 §3 keeps OPEN and KEEPALIVE at 4096 regardless.
 */
export function checkHeader(bytes: Uint8Array, maxLength: number): Header {
  for (let i = 0; i < 16; i++) {
    if (bytes[i] !== 0xff) throw headerError(HeaderSubcode.CONNECTION_NOT_SYNCHRONIZED, 'marker is not all ones');
  }
  const length = ((bytes[16] ?? 0) << 8) | (bytes[17] ?? 0);
  const type = bytes[18] ?? 0;
  const lengthField = Buffer.from([bytes[16] ?? 0, bytes[17] ?? 0]);
  if (length < HEADER_LENGTH || length > maxLength) {
    throw headerError(HeaderSubcode.BAD_MESSAGE_LENGTH, `length ${length}`, lengthField);
  }
  if (!KNOWN.has(type)) throw headerError(HeaderSubcode.BAD_MESSAGE_TYPE, `type ${type}`, Buffer.from([type]));
  const t = type as MessageTypeCode;
  const max = t === MessageType.OPEN || t === MessageType.KEEPALIVE ? Math.min(maxLength, MAX_MESSAGE_LENGTH) : maxLength;
  // KEEPALIVE is exactly the header (§4.4); the others have a minimum (§6.1).
  if (length < MIN_MESSAGE_LENGTH[t] || length > max || (t === MessageType.KEEPALIVE && length !== HEADER_LENGTH)) {
    throw headerError(HeaderSubcode.BAD_MESSAGE_LENGTH, `length ${length} for type ${t}`, lengthField);
  }
  return { type: t, length };
}

export function encodeHeader(type: MessageTypeCode, bodyLength: number, maxLength: number): Buffer {
  const length = HEADER_LENGTH + bodyLength;
  if (length > maxLength) throw new EncodeError(`message of ${length} octets exceeds the limit of ${maxLength}`);
  const h = Buffer.alloc(HEADER_LENGTH, 0xff);
  h.writeUInt16BE(length, 16);
  h[18] = type;
  return h;
}

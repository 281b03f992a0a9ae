// The BgpMessage union and the whole-message codec: header + body for every type.

import { assertNever } from '../../errors.js';
import { HEADER_LENGTH, MessageType } from './constants.js';
import { type CodecContext, maxMessageLength } from './context.js';
import { EncodeError, type UpdateAction, WireError } from './errors.js';
import type { Frame } from './framer.js';
import { checkHeader, encodeHeader } from './header.js';
import { KEEPALIVE, type KeepaliveMessage } from './messages/keepalive.js';
import { decodeNotification, encodeNotification, type NotificationMessage } from './messages/notification.js';
import { decodeOpen, encodeOpen, type OpenMessage } from './messages/open.js';
import { decodeRouteRefresh, encodeRouteRefresh, type RouteRefreshMessage } from './messages/route-refresh.js';
import { decodeUpdate, encodeUpdate, type UpdateMessage } from './messages/update.js';
import { asBuffer } from './bytes.js';
import { ErrorCode, HeaderSubcode } from './notification-codes.js';

export type BgpMessage = OpenMessage | UpdateMessage | NotificationMessage | KeepaliveMessage | RouteRefreshMessage;

export interface DecodeResult {
  readonly message: BgpMessage;
  /** Non-fatal RFC 7606 problems (UPDATE only; empty otherwise). */
  readonly problems: readonly WireError[];
  readonly action: UpdateAction;
}

/** Decodes one framed message. Throws WireError for anything that must reset the session. */
export function decodeFrame(frame: Frame, ctx: CodecContext): DecodeResult {
  const plain = (message: BgpMessage): DecodeResult => ({ message, problems: [], action: 'none' });
  switch (frame.type) {
    case MessageType.OPEN:
      return plain(decodeOpen(frame.body));
    case MessageType.UPDATE:
      return decodeUpdate(frame.body, ctx);
    case MessageType.NOTIFICATION:
      return plain(decodeNotification(frame.body));
    case MessageType.KEEPALIVE:
      return plain(KEEPALIVE);
    case MessageType.ROUTE_REFRESH:
      return plain(decodeRouteRefresh(frame.body, frame.bytes));
    default:
      return assertNever(frame.type, 'message type');
  }
}

/** Decodes exactly one whole message (header included), e.g. a golden capture. */
export function decodeMessage(bytes: Uint8Array, ctx: CodecContext): DecodeResult {
  const buf = asBuffer(bytes);
  if (buf.length < HEADER_LENGTH) {
    throw new WireError({ code: ErrorCode.MESSAGE_HEADER, subcode: HeaderSubcode.BAD_MESSAGE_LENGTH,
      action: 'session-reset', detail: `${buf.length} octets is shorter than a header` });
  }
  const { type, length } = checkHeader(buf, maxMessageLength(ctx));
  if (length !== buf.length) {
    throw new WireError({ code: ErrorCode.MESSAGE_HEADER, subcode: HeaderSubcode.BAD_MESSAGE_LENGTH,
      action: 'session-reset', data: buf.subarray(16, 18), detail: `length field ${length}, ${buf.length} octets given` });
  }
  return decodeFrame({ type, bytes: buf, body: buf.subarray(HEADER_LENGTH) }, ctx);
}

function body(m: BgpMessage, ctx: CodecContext): Buffer {
  switch (m.type) {
    case 'open':
      return encodeOpen(m);
    case 'update':
      return encodeUpdate(m, ctx);
    case 'notification':
      return encodeNotification(m);
    case 'keepalive':
      return Buffer.alloc(0);
    case 'route-refresh':
      return encodeRouteRefresh(m);
    default:
      return assertNever(m, 'message');
  }
}

const TYPE_CODES = {
  open: MessageType.OPEN,
  update: MessageType.UPDATE,
  notification: MessageType.NOTIFICATION,
  keepalive: MessageType.KEEPALIVE,
  'route-refresh': MessageType.ROUTE_REFRESH,
} as const;

/**
 * The complete message, header included. Throws EncodeError if it cannot be represented
 * (a value out of range, or longer than the negotiated maximum).
 */
export function encodeMessage(m: BgpMessage, ctx: CodecContext): Buffer {
  let b: Buffer;
  try {
    b = body(m, ctx);
  } catch (e) {
    // Buffer's own range checks (a u16 field given 70000) become our error type.
    if (e instanceof RangeError || (e as { code?: unknown }).code === 'ERR_OUT_OF_RANGE') {
      throw new EncodeError(`cannot encode ${m.type}: ${(e as Error).message}`, { cause: e });
    }
    throw e;
  }
  const max = m.type === 'open' || m.type === 'keepalive' ? 4096 : maxMessageLength(ctx);
  return Buffer.concat([encodeHeader(TYPE_CODES[m.type], b.length, max), b]);
}

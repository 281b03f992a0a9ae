// NOTIFICATION, RFC 4271 §4.5: error code, subcode, data. Cease Administrative Shutdown/Reset
// may carry a Shutdown Communication (RFC 8203, length limit raised to 255 by RFC 9003 §2): a
// length octet and that many octets of UTF-8.

import { CeaseSubcode, ErrorCode, notificationName } from '../notification-codes.js';
import type { WireError } from '../errors.js';

export interface NotificationMessage {
  readonly type: 'notification';
  readonly code: number;
  readonly subcode: number;
  readonly data: Uint8Array;
}

/** Length is guaranteed >= 2 by the framer (minimum NOTIFICATION length 21). */
export function decodeNotification(body: Uint8Array): NotificationMessage {
  return { type: 'notification', code: body[0] ?? 0, subcode: body[1] ?? 0, data: Buffer.from(body.subarray(2)) };
}

export function encodeNotification(m: NotificationMessage): Buffer {
  return Buffer.concat([Buffer.from([m.code, m.subcode]), m.data]);
}

/** The one place a WireError becomes the NOTIFICATION we send. */
export function notificationFromError(e: WireError): NotificationMessage {
  return { type: 'notification', ...e.notification };
}

const hasCommunication = (m: NotificationMessage): boolean =>
  m.code === ErrorCode.CEASE &&
  (m.subcode === CeaseSubcode.ADMINISTRATIVE_SHUTDOWN || m.subcode === CeaseSubcode.ADMINISTRATIVE_RESET);

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The operator's message, if the NOTIFICATION carries a well-formed one (RFC 8203 §2). */
export function shutdownCommunication(m: NotificationMessage): string | undefined {
  if (!hasCommunication(m) || m.data.length === 0) return undefined;
  const len = m.data[0] ?? 0;
  if (len === 0 || m.data.length < 1 + len) return undefined;
  try {
    return utf8.decode(m.data.subarray(1, 1 + len));
  } catch {
    return undefined; // RFC 8203 §4: invalid UTF-8 is not displayed
  }
}

/**
 * Cease with a Shutdown Communication, cut to 255 octets on a character boundary (RFC 9003).
 * Administrative Shutdown by default; `reset` gives Administrative Reset.
 */
export function shutdownNotification(text: string, opts: { readonly reset?: boolean } = {}): NotificationMessage {
  const subcode = opts.reset ? CeaseSubcode.ADMINISTRATIVE_RESET : CeaseSubcode.ADMINISTRATIVE_SHUTDOWN;
  let bytes = Buffer.from(text, 'utf8');
  let chars = [...text];
  while (bytes.length > 255) {
    chars = chars.slice(0, -1);
    bytes = Buffer.from(chars.join(''), 'utf8');
  }
  return { type: 'notification', code: ErrorCode.CEASE, subcode, data: Buffer.concat([Buffer.from([bytes.length]), bytes]) };
}

/** "Cease / Administrative Shutdown: "maintenance"" for logs and `meridian status`. */
export function describeNotification(m: NotificationMessage): string {
  const text = shutdownCommunication(m);
  return text === undefined ? notificationName(m.code, m.subcode) : `${notificationName(m.code, m.subcode)}: ${JSON.stringify(text)}`;
}

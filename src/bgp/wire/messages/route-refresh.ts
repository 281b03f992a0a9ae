// ROUTE-REFRESH, RFC 2918 §3: AFI (2), reserved (1), SAFI (1). RFC 7313 §3 turns the reserved
// octet into a subtype: 0 normal request, 1 Beginning of Route Refresh, 2 End of Route Refresh;
// other subtypes must be ignored by the receiver (RFC 7313 §5), so we decode and keep them.

import { ErrorCode, RouteRefreshSubcode } from '../notification-codes.js';
import { WireError } from '../errors.js';

export const RouteRefreshSubtype = { NORMAL: 0, BORR: 1, EORR: 2 } as const;

export interface RouteRefreshMessage {
  readonly type: 'route-refresh';
  readonly afi: number;
  readonly safi: number;
  /** RouteRefreshSubtype; 0 for plain RFC 2918 requests. */
  readonly subtype: number;
}

/** `whole` is the complete message, the NOTIFICATION data RFC 7313 §5 asks for on a bad length. */
export function decodeRouteRefresh(body: Uint8Array, whole: Uint8Array): RouteRefreshMessage {
  if (body.length !== 4) {
    // We negotiate no ORF (RFC 5291), so a ROUTE-REFRESH is exactly 23 octets.
    throw new WireError({ code: ErrorCode.ROUTE_REFRESH_MESSAGE, subcode: RouteRefreshSubcode.INVALID_MESSAGE_LENGTH,
      action: 'session-reset', data: whole, detail: `ROUTE-REFRESH body of ${body.length} octets` });
  }
  const b = Buffer.from(body);
  return { type: 'route-refresh', afi: b.readUInt16BE(0), subtype: b[2] ?? 0, safi: b[3] ?? 0 };
}

export function encodeRouteRefresh(m: RouteRefreshMessage): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt16BE(m.afi);
  b[2] = m.subtype;
  b[3] = m.safi;
  return b;
}

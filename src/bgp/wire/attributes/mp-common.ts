// Shared by MP_REACH_NLRI and MP_UNREACH_NLRI (RFC 4760). Their errors cannot be treated as
// withdraw: the NLRI they carry may not be parseable, so RFC 7606 §5.3 / RFC 4760 §7 ask for
// AFI/SAFI disable or session reset, with Optional Attribute Error (3/9) in the NOTIFICATION.

import { AFI_IPV4, AFI_IPV6, type Afi, SAFI_UNICAST } from '../constants.js';
import { WireError } from '../errors.js';
import { ErrorCode, UpdateSubcode } from '../notification-codes.js';

/** The families this codec decodes into prefixes; other AFI/SAFIs are kept raw. */
export function isUnicastFamily(afi: number, safi: number): afi is Afi {
  return (afi === AFI_IPV4 || afi === AFI_IPV6) && safi === SAFI_UNICAST;
}

export function mpError(attr: number, detail: string, family?: { afi: number; safi: number }): WireError {
  return new WireError({
    code: ErrorCode.UPDATE_MESSAGE,
    subcode: UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR,
    action: family ? 'af-disable' : 'session-reset',
    attr,
    afi: family?.afi,
    safi: family?.safi,
    detail,
  });
}

// AS4_PATH (type 17, optional transitive), RFC 6793 §3: the true 4-octet path sent alongside a
// 2-octet AS_PATH (with AS_TRANS) to speakers without the 4-octet AS capability. Always 4-octet
// ASNs. RFC 6793 §6: malformed -> attribute-discard; confederation segments are not allowed in it
// (RFC 6793 §3: "MUST NOT"), so one makes the attribute malformed too. Merging it back into
// AS_PATH is in as4.ts.

import { UpdateSubcode } from '../notification-codes.js';
import { type AsPath, decodeAsPathSegments, encodeAsPathSegments } from './as-path.js';
import { AttrFault } from './fault.js';

export function decodeAs4Path(value: Uint8Array): AsPath {
  const path = decodeAsPathSegments(value, 4, UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR);
  if (path.some((s) => s.type === 'confed-sequence' || s.type === 'confed-set')) {
    throw new AttrFault(UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR, 'AS4_PATH with a confederation segment');
  }
  return path;
}

export function encodeAs4Path(path: AsPath): Buffer {
  return encodeAsPathSegments(path, 4);
}

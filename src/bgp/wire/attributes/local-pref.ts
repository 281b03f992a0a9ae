// LOCAL_PREF (type 5, well-known, iBGP only), RFC 4271 §5.1.5. Malformed -> treat-as-withdraw,
// or attribute-discard when the peer is external since it is ignored then (RFC 7606 §7.5).
// Dropping it on receipt from eBGP is validate.ts's business.

import { expectLength } from './fault.js';

export function decodeLocalPref(value: Uint8Array): number {
  expectLength(value, 4, 'LOCAL_PREF');
  return Buffer.from(value).readUInt32BE(0);
}

export function encodeLocalPref(pref: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(pref);
  return b;
}

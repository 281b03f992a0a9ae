// ORIGINATOR_ID (type 9, optional non-transitive), RFC 4456 §8: the router id of the route's
// originator in the local AS, set by the first route reflector. Malformed -> treat-as-withdraw
// (RFC 7606 §7.9).

import { formatIpv4, parseIpv4 } from '../address.js';
import { expectLength } from './fault.js';

export function decodeOriginatorId(value: Uint8Array): string {
  expectLength(value, 4, 'ORIGINATOR_ID');
  return formatIpv4(value);
}

export function encodeOriginatorId(id: string): Buffer {
  return parseIpv4(id);
}

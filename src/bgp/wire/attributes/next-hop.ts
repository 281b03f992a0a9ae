// NEXT_HOP (type 3, well-known mandatory when the IPv4 NLRI field is not empty), RFC 4271 §5.1.3.
// Syntax only here (4 octets); whether the address makes sense (not ours, not martian) needs the
// session and is checked in validate.ts. Malformed -> treat-as-withdraw (RFC 7606 §7.3).

import { formatIpv4, parseIpv4 } from '../address.js';
import { expectLength } from './fault.js';

export function decodeNextHop(value: Uint8Array): string {
  expectLength(value, 4, 'NEXT_HOP');
  return formatIpv4(value);
}

export function encodeNextHop(addr: string): Buffer {
  return parseIpv4(addr);
}

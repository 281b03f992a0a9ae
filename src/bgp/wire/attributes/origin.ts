// ORIGIN (type 1, well-known mandatory), RFC 4271 §5.1.1. Malformed -> treat-as-withdraw (RFC 7606 §7.1).

import { UpdateSubcode } from '../notification-codes.js';
import { AttrFault, expectLength } from './fault.js';

export type Origin = 'igp' | 'egp' | 'incomplete';

const ORIGINS: readonly Origin[] = ['igp', 'egp', 'incomplete'];

export function decodeOrigin(value: Uint8Array): Origin {
  expectLength(value, 1, 'ORIGIN');
  const o = ORIGINS[value[0] ?? 255];
  // RFC 4271 §6.3: an undefined value is Invalid ORIGIN Attribute, data = the attribute.
  if (!o) throw new AttrFault(UpdateSubcode.INVALID_ORIGIN, `ORIGIN value ${value[0]}`);
  return o;
}

export function encodeOrigin(o: Origin): Buffer {
  return Buffer.from([ORIGINS.indexOf(o)]);
}

// ATOMIC_AGGREGATE (type 6, well-known discretionary, no value), RFC 4271 §5.1.6. Malformed ->
// attribute-discard (RFC 7606 §7.6): it is informational only.

import { expectLength } from './fault.js';

export function decodeAtomicAggregate(value: Uint8Array): true {
  expectLength(value, 0, 'ATOMIC_AGGREGATE');
  return true;
}

export function encodeAtomicAggregate(): Buffer {
  return Buffer.alloc(0);
}

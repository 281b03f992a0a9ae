// MULTI_EXIT_DISC (type 4, optional non-transitive), RFC 4271 §5.1.4. Malformed ->
// treat-as-withdraw (RFC 7606 §7.4).

import { expectLength } from './fault.js';

export function decodeMed(value: Uint8Array): number {
  expectLength(value, 4, 'MULTI_EXIT_DISC');
  return Buffer.from(value).readUInt32BE(0);
}

export function encodeMed(med: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(med);
  return b;
}

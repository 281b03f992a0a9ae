// COMMUNITIES (type 8, optional transitive), RFC 1997: a list of 32-bit values, conventionally
// ASN:value. Malformed (length not a non-zero multiple of 4) -> treat-as-withdraw (RFC 7606 §7.8).

import { EncodeError } from '../errors.js';
import { expectMultiple } from './fault.js';

/** Well-known communities: RFC 1997 §"Well-known Communities", RFC 3765, 7999, 8326, LLGR draft. */
export const WellKnownCommunity = {
  GRACEFUL_SHUTDOWN: 0xffff0000, // RFC 8326
  BLACKHOLE: 0xffff029a, // RFC 7999
  LLGR_STALE: 0xffff0006,
  NO_LLGR: 0xffff0007,
  NO_EXPORT: 0xffffff01,
  NO_ADVERTISE: 0xffffff02,
  NO_EXPORT_SUBCONFED: 0xffffff03,
  NO_PEER: 0xffffff04, // RFC 3765
} as const;

const NAMES = new Map<number, string>(
  Object.entries(WellKnownCommunity).map(([k, v]) => [v, k.toLowerCase().replaceAll('_', '-')]),
);

/** community(65001, 100) === 65001:100 as a 32-bit value. */
export function community(asn: number, value: number): number {
  if (asn < 0 || asn > 0xffff || value < 0 || value > 0xffff) {
    throw new EncodeError(`community ${asn}:${value} out of range`);
  }
  return asn * 0x10000 + value;
}

/** "65001:100", or the well-known name ("no-export"). */
export function formatCommunity(c: number): string {
  return NAMES.get(c) ?? `${Math.floor(c / 0x10000)}:${c % 0x10000}`;
}

export function decodeCommunities(value: Uint8Array): number[] {
  expectMultiple(value, 4, 'COMMUNITIES');
  const b = Buffer.from(value);
  const out: number[] = [];
  for (let i = 0; i < b.length; i += 4) out.push(b.readUInt32BE(i));
  return out;
}

export function encodeCommunities(cs: readonly number[]): Buffer {
  const b = Buffer.alloc(4 * cs.length);
  cs.forEach((c, i) => b.writeUInt32BE(c, 4 * i));
  return b;
}

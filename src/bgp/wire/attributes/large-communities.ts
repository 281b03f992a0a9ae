// LARGE_COMMUNITY (type 32, optional transitive), RFC 8092: 12-octet values
// GlobalAdministrator:LocalData1:LocalData2, made for 4-octet ASNs. Length not a non-zero multiple
// of 12 -> treat-as-withdraw (RFC 8092 §5, RFC 7606 style).

import { expectMultiple } from './fault.js';

export interface LargeCommunity {
  readonly globalAdmin: number;
  readonly local1: number;
  readonly local2: number;
}

export function formatLargeCommunity(c: LargeCommunity): string {
  return `${c.globalAdmin}:${c.local1}:${c.local2}`;
}

export function decodeLargeCommunities(value: Uint8Array): LargeCommunity[] {
  expectMultiple(value, 12, 'LARGE_COMMUNITY');
  const b = Buffer.from(value);
  const out: LargeCommunity[] = [];
  for (let i = 0; i < b.length; i += 12) {
    out.push({ globalAdmin: b.readUInt32BE(i), local1: b.readUInt32BE(i + 4), local2: b.readUInt32BE(i + 8) });
  }
  return out;
}

export function encodeLargeCommunities(cs: readonly LargeCommunity[]): Buffer {
  const b = Buffer.alloc(12 * cs.length);
  cs.forEach((c, i) => {
    b.writeUInt32BE(c.globalAdmin, 12 * i);
    b.writeUInt32BE(c.local1, 12 * i + 4);
    b.writeUInt32BE(c.local2, 12 * i + 8);
  });
  return b;
}

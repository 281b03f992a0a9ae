// Extended Next Hop Encoding capability (5), RFC 8950 §4: triples (NLRI AFI, NLRI SAFI, next hop
// AFI), each 2 octets. GoBGP offers IPv4 unicast with IPv6 next hops; we only read it.

import { Reader, Writer } from '../bytes.js';
import type { AfiSafi } from '../constants.js';

export interface ExtendedNextHopFamily extends AfiSafi {
  readonly nextHopAfi: number;
}

export interface ExtendedNextHopCapability {
  readonly type: 'extended-next-hop';
  readonly families: readonly ExtendedNextHopFamily[];
}

export function decodeExtendedNextHop(value: Buffer): ExtendedNextHopCapability | undefined {
  if (value.length % 6 !== 0) return undefined;
  const r = new Reader(value, () => new Error('unreachable'));
  const families: ExtendedNextHopFamily[] = [];
  while (r.remaining > 0) families.push({ afi: r.u16(), safi: r.u16(), nextHopAfi: r.u16() });
  return { type: 'extended-next-hop', families };
}

export function encodeExtendedNextHop(c: ExtendedNextHopCapability): Buffer {
  const w = new Writer(6 * c.families.length + 1);
  for (const f of c.families) w.u16(f.afi).u16(f.safi).u16(f.nextHopAfi);
  return w.toBuffer();
}

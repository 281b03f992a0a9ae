// MP_REACH_NLRI (type 14, optional non-transitive), RFC 4760 §3: AFI, SAFI, next hop, a reserved
// octet (was the SNPA count), NLRI. IPv6 next hops are a global address, optionally followed by
// a link-local one (RFC 2545 §3: length 16 or 32). For AFI 1 we also read 16/32-octet IPv6 next
// hops (RFC 8950) so such UPDATEs decode; whether they are acceptable is the session's call.
// Families other than IPv4/IPv6 unicast are kept raw.

import { formatIpv4, formatIpv6, parseIp, parseIpv6 } from '../address.js';
import { Reader, Writer } from '../bytes.js';
import { AFI_IPV4, type Afi, AttrType } from '../constants.js';
import { EncodeError } from '../errors.js';
import { decodePrefixes, type Prefix, writePrefix } from '../prefix.js';
import { isUnicastFamily, mpError } from './mp-common.js';

export interface MpReachUnicast {
  readonly type: 'unicast';
  readonly afi: Afi;
  readonly safi: number;
  /** IPv4 for AFI 1 (or IPv6 per RFC 8950); the global IPv6 address for AFI 2. */
  readonly nextHop: string;
  /** RFC 2545 §3: the link-local next hop sent after the global one on a shared link. */
  readonly linkLocalNextHop?: string;
  readonly nlri: readonly Prefix[];
}

/** A family we do not decode: the whole attribute value, kept so nothing is lost. */
export interface MpReachOther {
  readonly type: 'other';
  readonly afi: number;
  readonly safi: number;
  readonly data: Uint8Array;
}

export type MpReach = MpReachUnicast | MpReachOther;

const T = AttrType.MP_REACH_NLRI;

export function decodeMpReach(value: Uint8Array): MpReach {
  const r = new Reader(value, () => mpError(T, 'MP_REACH_NLRI shorter than its fixed fields'));
  const afi = r.u16();
  const safi = r.u8();
  if (!isUnicastFamily(afi, safi)) return { type: 'other', afi, safi, data: Buffer.from(value) };
  const family = { afi, safi };
  const short = (): Error => mpError(T, 'MP_REACH_NLRI next hop overruns the attribute', family);
  const nhLen = r.u8();
  if (r.remaining < nhLen + 1) throw short();
  const nh = r.bytes(nhLen);
  r.u8(); // reserved (RFC 4760 §3: ignored on receipt)
  let nextHop: string;
  let linkLocalNextHop: string | undefined;
  if (afi === AFI_IPV4 && nhLen === 4) {
    nextHop = formatIpv4(nh);
  } else if (nhLen === 16 || nhLen === 32) {
    nextHop = formatIpv6(nh);
    if (nhLen === 32) linkLocalNextHop = formatIpv6(nh, 16);
  } else {
    throw mpError(T, `next hop length ${nhLen} is not valid for AFI ${afi}`, family);
  }
  const nlri = decodePrefixes(r.rest(), afi, (d) => mpError(T, `MP_REACH_NLRI NLRI: ${d}`, family));
  return linkLocalNextHop === undefined
    ? { type: 'unicast', afi, safi, nextHop, nlri }
    : { type: 'unicast', afi, safi, nextHop, linkLocalNextHop, nlri };
}

export function encodeMpReach(mp: MpReach): Buffer {
  if (mp.type === 'other') return Buffer.from(mp.data);
  const w = new Writer(64 + mp.nlri.length * 5);
  w.u16(mp.afi).u8(mp.safi);
  const nh = parseIp(mp.nextHop);
  if (mp.afi !== AFI_IPV4 && nh.length !== 16) throw new EncodeError(`IPv6 next hop expected: ${mp.nextHop}`);
  if (mp.linkLocalNextHop !== undefined) {
    if (nh.length !== 16) throw new EncodeError('a link-local next hop needs an IPv6 global next hop');
    w.u8(32).bytes(nh).bytes(parseIpv6(mp.linkLocalNextHop));
  } else {
    w.u8(nh.length).bytes(nh);
  }
  w.u8(0);
  for (const p of mp.nlri) {
    if (p.afi !== mp.afi) throw new EncodeError(`prefix of AFI ${p.afi} in MP_REACH_NLRI of AFI ${mp.afi}`);
    writePrefix(w, p);
  }
  return w.toBuffer();
}

/** Size of the value before the NLRI: AFI, SAFI, next hop length, next hop, reserved. */
export function mpReachFixedSize(nextHop: string, linkLocalNextHop?: string): number {
  const nh = linkLocalNextHop === undefined ? parseIp(nextHop).length : 32;
  return 2 + 1 + 1 + nh + 1;
}

// MP_UNREACH_NLRI (type 15, optional non-transitive), RFC 4760 §4: AFI, SAFI, withdrawn routes.
// With no routes it is the End-of-RIB marker of that family (RFC 4724 §2, see end-of-rib.ts).

import { Reader, Writer } from '../bytes.js';
import { type Afi, AttrType } from '../constants.js';
import { EncodeError } from '../errors.js';
import { decodePrefixes, type Prefix, writePrefix } from '../prefix.js';
import { isUnicastFamily, mpError } from './mp-common.js';

export interface MpUnreachUnicast {
  readonly type: 'unicast';
  readonly afi: Afi;
  readonly safi: number;
  readonly withdrawn: readonly Prefix[];
}

export interface MpUnreachOther {
  readonly type: 'other';
  readonly afi: number;
  readonly safi: number;
  /** The whole attribute value. */
  readonly data: Uint8Array;
}

export type MpUnreach = MpUnreachUnicast | MpUnreachOther;

const T = AttrType.MP_UNREACH_NLRI;

export function decodeMpUnreach(value: Uint8Array): MpUnreach {
  const r = new Reader(value, () => mpError(T, 'MP_UNREACH_NLRI shorter than AFI and SAFI'));
  const afi = r.u16();
  const safi = r.u8();
  if (!isUnicastFamily(afi, safi)) return { type: 'other', afi, safi, data: Buffer.from(value) };
  const withdrawn = decodePrefixes(r.rest(), afi, (d) => mpError(T, `MP_UNREACH_NLRI: ${d}`, { afi, safi }));
  return { type: 'unicast', afi, safi, withdrawn };
}

export function encodeMpUnreach(mp: MpUnreach): Buffer {
  if (mp.type === 'other') return Buffer.from(mp.data);
  const w = new Writer(8 + mp.withdrawn.length * 5);
  w.u16(mp.afi).u8(mp.safi);
  for (const p of mp.withdrawn) {
    if (p.afi !== mp.afi) throw new EncodeError(`prefix of AFI ${p.afi} in MP_UNREACH_NLRI of AFI ${mp.afi}`);
    writePrefix(w, p);
  }
  return w.toBuffer();
}

// End-of-RIB markers, RFC 4724 §2: for IPv4 unicast an UPDATE with no withdrawn routes, no
// attributes and no NLRI (23 octets); for any other family an UPDATE whose only attribute is an
// MP_UNREACH_NLRI of that family with no withdrawn routes (BIRD sends one for IPv6).

import { AFI_IPV4, type AfiSafi, SAFI_UNICAST } from './constants.js';
import type { PathAttributes } from './attributes/path-attributes.js';
import type { UpdateMessage } from './messages/update.js';
import { isUnicastFamily } from './attributes/mp-common.js';

const definedKeys = (a: PathAttributes): string[] =>
  Object.entries(a)
    .filter(([, v]) => v !== undefined)
    .map(([k]) => k);

/** The family this UPDATE ends the initial table of, or undefined if it is not an End-of-RIB. */
export function endOfRibFamily(m: UpdateMessage): AfiSafi | undefined {
  if (m.withdrawn.length || m.nlri.length) return undefined;
  const keys = definedKeys(m.attributes);
  if (keys.length === 0) return { afi: AFI_IPV4, safi: SAFI_UNICAST };
  const u = m.attributes.mpUnreach;
  if (keys.length !== 1 || !u) return undefined;
  if (u.type === 'unicast') return u.withdrawn.length === 0 ? { afi: u.afi, safi: u.safi } : undefined;
  return u.data.length === 3 ? { afi: u.afi, safi: u.safi } : undefined;
}

export function endOfRib(family: AfiSafi): UpdateMessage {
  if (family.afi === AFI_IPV4 && family.safi === SAFI_UNICAST) {
    return { type: 'update', withdrawn: [], attributes: {}, nlri: [] };
  }
  const { afi, safi } = family;
  const mpUnreach = isUnicastFamily(afi, safi)
    ? ({ type: 'unicast', afi, safi, withdrawn: [] } as const)
    : ({ type: 'other', afi, safi, data: Buffer.from([afi >> 8, afi & 0xff, safi]) } as const);
  return { type: 'update', withdrawn: [], attributes: { mpUnreach }, nlri: [] };
}

// What of a received attribute set may be passed on, as far as the wire format decides
// (RFC 4271 §5 and §9.1.3 policy aside): unknown optional transitive attributes go on with the
// Partial bit set; unknown optional non-transitive ones are dropped. Policy (LOCAL_PREF toward
// eBGP, ORIGINATOR_ID/CLUSTER_LIST outside the AS, next-hop rewriting) is the RIB's business.

import { AttrFlag } from '../constants.js';
import type { PathAttributes } from './path-attributes.js';

export function attributesForPropagation(attrs: PathAttributes): PathAttributes {
  if (!attrs.unknown?.length) return attrs;
  const unknown = attrs.unknown
    .filter((u) => (u.flags & AttrFlag.TRANSITIVE) !== 0)
    .map((u) => ({ ...u, flags: u.flags | AttrFlag.PARTIAL }));
  const { unknown: _u, ...rest } = attrs;
  return unknown.length ? { ...rest, unknown } : rest;
}

// One row per attribute we decode: type code, the Optional/Transitive flags it must carry
// (RFC 4271 §5, 1997, 4456, 4760, 6793, 8092), its RFC 7606 §7 error action, and its codec.
// Adding an attribute = a file with decode/encode, a field in PathAttributes and a row here.

import { AttrFlag, AttrType } from '../constants.js';
import type { CodecContext } from '../context.js';
import type { ErrorAction } from '../errors.js';
import { decodeAggregator, encodeAggregator } from './aggregator.js';
import { decodeAs4Aggregator, encodeAs4Aggregator } from './as4-aggregator.js';
import { decodeAs4Path, encodeAs4Path } from './as4-path.js';
import { decodeAsPath, encodeAsPath } from './as-path.js';
import { decodeAtomicAggregate, encodeAtomicAggregate } from './atomic-aggregate.js';
import { decodeClusterList, encodeClusterList } from './cluster-list.js';
import { decodeCommunities, encodeCommunities } from './communities.js';
import { decodeLargeCommunities, encodeLargeCommunities } from './large-communities.js';
import { decodeLocalPref, encodeLocalPref } from './local-pref.js';
import { decodeMed, encodeMed } from './med.js';
import { decodeMpReach, encodeMpReach } from './mp-reach.js';
import { decodeMpUnreach, encodeMpUnreach } from './mp-unreach.js';
import { decodeNextHop, encodeNextHop } from './next-hop.js';
import { decodeOrigin, encodeOrigin } from './origin.js';
import { decodeOriginatorId, encodeOriginatorId } from './originator-id.js';
import type { MutablePathAttributes, PathAttributes } from './path-attributes.js';

type KnownKey = Exclude<keyof PathAttributes, 'unknown' | 'partial' | 'extendedLength'>;

export interface AttrSpec {
  readonly typeCode: number;
  readonly name: string;
  /** Expected Optional and Transitive bits (Partial and Extended Length are not checked, RFC 7606 §3(c)). */
  readonly flags: number;
  readonly action: (ctx: CodecContext) => ErrorAction;
  readonly key: KnownKey;
  /** Decodes the value into `into`; throws AttrFault (or WireError for MP_*). */
  readonly read: (value: Buffer, ctx: CodecContext, into: MutablePathAttributes) => void;
  /** The value bytes, or undefined when the attribute is absent. */
  readonly write: (attrs: PathAttributes, ctx: CodecContext) => Buffer | undefined;
}

const WELL_KNOWN = AttrFlag.TRANSITIVE;
const OPT_TRANS = AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE;
const OPT_NON_TRANS = AttrFlag.OPTIONAL;

const withdraw = (): ErrorAction => 'treat-as-withdraw';
const discard = (): ErrorAction => 'attribute-discard';
const reset = (): ErrorAction => 'session-reset';

function spec<K extends KnownKey>(
  typeCode: number,
  name: string,
  flags: number,
  action: (ctx: CodecContext) => ErrorAction,
  key: K,
  decode: (value: Buffer, ctx: CodecContext) => NonNullable<PathAttributes[K]>,
  encode: (v: NonNullable<PathAttributes[K]>, ctx: CodecContext) => Buffer,
): AttrSpec {
  return {
    typeCode,
    name,
    flags,
    action,
    key,
    read: (value, ctx, into) => {
      (into as Record<K, unknown>)[key] = decode(value, ctx);
    },
    write: (attrs, ctx) => {
      const v = attrs[key];
      return v === undefined ? undefined : encode(v as NonNullable<PathAttributes[K]>, ctx);
    },
  };
}

const SPECS: readonly AttrSpec[] = [
  spec(AttrType.ORIGIN, 'ORIGIN', WELL_KNOWN, withdraw, 'origin', decodeOrigin, encodeOrigin),
  spec(AttrType.AS_PATH, 'AS_PATH', WELL_KNOWN, withdraw, 'asPath',
    (v, c) => decodeAsPath(v, c.fourOctetAs), (p, c) => encodeAsPath(p, c.fourOctetAs)),
  spec(AttrType.NEXT_HOP, 'NEXT_HOP', WELL_KNOWN, withdraw, 'nextHop', decodeNextHop, encodeNextHop),
  spec(AttrType.MULTI_EXIT_DISC, 'MULTI_EXIT_DISC', OPT_NON_TRANS, withdraw, 'med', decodeMed, encodeMed),
  spec(AttrType.LOCAL_PREF, 'LOCAL_PREF', WELL_KNOWN, (c) => (c.ebgp ? 'attribute-discard' : 'treat-as-withdraw'),
    'localPref', decodeLocalPref, encodeLocalPref),
  spec(AttrType.ATOMIC_AGGREGATE, 'ATOMIC_AGGREGATE', WELL_KNOWN, discard, 'atomicAggregate',
    decodeAtomicAggregate, encodeAtomicAggregate),
  spec(AttrType.AGGREGATOR, 'AGGREGATOR', OPT_TRANS, discard, 'aggregator',
    (v, c) => decodeAggregator(v, c.fourOctetAs), (a, c) => encodeAggregator(a, c.fourOctetAs)),
  spec(AttrType.COMMUNITIES, 'COMMUNITIES', OPT_TRANS, withdraw, 'communities', decodeCommunities, encodeCommunities),
  spec(AttrType.ORIGINATOR_ID, 'ORIGINATOR_ID', OPT_NON_TRANS, withdraw, 'originatorId',
    decodeOriginatorId, encodeOriginatorId),
  spec(AttrType.CLUSTER_LIST, 'CLUSTER_LIST', OPT_NON_TRANS, withdraw, 'clusterList', decodeClusterList, encodeClusterList),
  spec(AttrType.MP_REACH_NLRI, 'MP_REACH_NLRI', OPT_NON_TRANS, reset, 'mpReach', decodeMpReach, encodeMpReach),
  spec(AttrType.MP_UNREACH_NLRI, 'MP_UNREACH_NLRI', OPT_NON_TRANS, reset, 'mpUnreach', decodeMpUnreach, encodeMpUnreach),
  spec(AttrType.AS4_PATH, 'AS4_PATH', OPT_TRANS, discard, 'as4Path', decodeAs4Path, encodeAs4Path),
  spec(AttrType.AS4_AGGREGATOR, 'AS4_AGGREGATOR', OPT_TRANS, discard, 'as4Aggregator',
    decodeAs4Aggregator, encodeAs4Aggregator),
  spec(AttrType.LARGE_COMMUNITIES, 'LARGE_COMMUNITY', OPT_TRANS, withdraw, 'largeCommunities',
    decodeLargeCommunities, encodeLargeCommunities),
];

export const ATTR_SPECS: ReadonlyMap<number, AttrSpec> = new Map(SPECS.map((s) => [s.typeCode, s]));

/** "LOCAL_PREF", or "attribute 99" for one we do not know. */
export function attributeName(typeCode: number): string {
  return ATTR_SPECS.get(typeCode)?.name ?? `attribute ${typeCode}`;
}

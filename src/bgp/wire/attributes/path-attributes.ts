// The decoded path attributes of one UPDATE, one optional field per attribute we know. A struct
// rather than a list because that is what the RIB and decision process read (attrs.localPref),
// and RFC 7606 §3(g) leaves at most one of each. The few wire details worth keeping for a
// faithful re-encode ride along in `partial` and `extendedLength`.

import type { AsPath } from './as-path.js';
import type { Aggregator } from './aggregator.js';
import type { LargeCommunity } from './large-communities.js';
import type { MpReach } from './mp-reach.js';
import type { MpUnreach } from './mp-unreach.js';
import type { Origin } from './origin.js';
import type { UnknownAttribute } from './unknown.js';

export interface PathAttributes {
  readonly origin?: Origin;
  readonly asPath?: AsPath;
  /** IPv4 NEXT_HOP for the NLRI field; MP_REACH_NLRI carries its own. */
  readonly nextHop?: string;
  /** MULTI_EXIT_DISC. */
  readonly med?: number;
  readonly localPref?: number;
  readonly atomicAggregate?: true;
  readonly aggregator?: Aggregator;
  /** RFC 1997 values as 32-bit numbers (see community(), WellKnownCommunity). */
  readonly communities?: readonly number[];
  readonly originatorId?: string;
  readonly clusterList?: readonly string[];
  readonly mpReach?: MpReach;
  readonly mpUnreach?: MpUnreach;
  readonly as4Path?: AsPath;
  readonly as4Aggregator?: Aggregator;
  readonly largeCommunities?: readonly LargeCommunity[];
  /** Attributes we do not decode, by type code (the order they are re-sent in). */
  readonly unknown?: readonly UnknownAttribute[];
  /**
   * Type codes of known optional transitive attributes received with the Partial bit. RFC 4271
   * §5: once set by some speaker on the path, the bit must stay set when passed on.
   */
  readonly partial?: readonly number[];
  /** Type codes received with Extended Length though short: re-encoded the same way (FRR does this for AS_PATH). */
  readonly extendedLength?: readonly number[];
}

export type MutablePathAttributes = { -readonly [K in keyof PathAttributes]: PathAttributes[K] };

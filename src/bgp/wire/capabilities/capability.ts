// OPEN capabilities (RFC 5492), one variant per capability we read. Everything the three
// daemons we interoperate with send (BIRD 2.0.12, FRR 8.4.4, GoBGP 3.10: codes 1, 2, 5, 6, 9,
// 64, 65, 69, 70, 71, 73, 128) decodes to a typed value; anything else is kept raw.

import type { AddPathCapability } from './add-path.js';
import type { ExtendedNextHopCapability } from './extended-next-hop.js';
import type { FqdnCapability } from './fqdn.js';
import type { GracefulRestartCapability } from './graceful-restart.js';
import type { LongLivedGracefulRestartCapability } from './long-lived-gr.js';
import type { RoleCapability } from './role.js';

/** RFC 4760 §8: one per address family the speaker will exchange. */
export interface MultiprotocolCapability {
  readonly type: 'multiprotocol';
  readonly afi: number;
  readonly safi: number;
}

/** RFC 6793 §3: the speaker's real AS number (the OPEN's My AS holds AS_TRANS if it is > 65535). */
export interface FourOctetAsCapability {
  readonly type: 'four-octet-as';
  readonly asn: number;
}

/** Capabilities whose presence is all they say (no value). */
export interface PresenceCapability {
  readonly type:
    | 'route-refresh' // 2, RFC 2918
    | 'route-refresh-cisco' // 128, pre-standard form of 2 (FRR sends both)
    | 'enhanced-route-refresh' // 70, RFC 7313
    | 'extended-message'; // 6, RFC 8654
}

/** A capability we do not decode, or one whose value did not parse (kept, never fatal). */
export interface UnknownCapability {
  readonly type: 'unknown';
  readonly code: number;
  readonly data: Uint8Array;
}

export type Capability =
  | MultiprotocolCapability
  | FourOctetAsCapability
  | PresenceCapability
  | GracefulRestartCapability
  | LongLivedGracefulRestartCapability
  | AddPathCapability
  | FqdnCapability
  | RoleCapability
  | ExtendedNextHopCapability
  | UnknownCapability;

export type CapabilityType = Capability['type'];

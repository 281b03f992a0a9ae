// The speaker's configuration and status types, and the small pure helpers around them (address
// normalisation, which spec changes need a new session, AS4_PATH merging for 2-octet peers).

import { mergeAs4Path, type AfiSafi, type PathAttributes } from '../wire/index.js';
import type { RoutePolicy } from './policy.js';

export interface PeerSpec {
  readonly address: string;
  readonly asn: number;
  readonly port?: number;
  readonly passive?: boolean;
  readonly routeReflectorClient?: boolean;
  readonly holdTime?: number;
  /** false, or the restart time to announce (seconds). */
  readonly gracefulRestart?: false | { readonly restartTime: number };
  readonly nextHopSelf?: boolean;
  readonly localAddress?: string;
  readonly importPolicy?: RoutePolicy;
  readonly exportPolicy?: RoutePolicy;
  readonly maxPrefix?: { readonly limit: number; readonly action: 'warn' | 'drop' | 'restart' };
  /** eBGP TTL (default 1: single hop); applied to packets by the agent (routes/bgp-ttl.ts). */
  readonly ebgpMultihop?: number;
  /** GTSM (RFC 5082): send TTL 255, accept only from within this many hops. */
  readonly ttlSecurityHops?: number;
  /** TCP MD5 signature key (RFC 2385), 1 to 80 bytes: every segment both ways is signed with it. */
  readonly password?: string;
}

export interface SpeakerConfig {
  readonly asn: number;
  readonly routerId: string;
  readonly clusterId?: string;
  readonly listenAddress?: string;
  /** 0 = do not listen (tests, or every peer dialled). */
  readonly listenPort: number;
  readonly holdTime?: number;
  /** Families this speaker runs; a session carries those of its address family that both sides speak. */
  readonly families?: readonly AfiSafi[];
  /** We restarted with forwarding state preserved (kernel routes kept): set R and F in OPEN. */
  readonly restarting?: boolean;
  /**
   * Seconds a restarted peer's stale paths are kept after its session is back, waiting for its
   * End-of-RIB (FRR's stalepath-time, default 360). While the peer is away its own restart time
   * applies instead.
   */
  readonly stalePathSeconds?: number;
  /**
   * When `restarting`: how long our End-of-RIB waits for every peer's (RFC 4724 4.1 selection
   * deferral, FRR's select-defer-time). Default 120 s.
   */
  readonly selectionDeferralSeconds?: number;
  readonly connectRetrySeconds?: number;
  /** Accept loopback next hops: only when every peer is on this host (tests, loopback labs). */
  readonly allowLoopbackNextHop?: boolean;
}

export interface PeerStatus {
  readonly address: string;
  readonly asn: number;
  readonly state: string;
  readonly uptimeMs: number | undefined;
  /** Prefixes the peer currently announces, accepted or not. */
  readonly prefixesReceived: number;
  /** Of those, accepted into the Adj-RIB-In (loop checks, import policy and max-prefix passed). */
  readonly prefixesIn: number;
  readonly prefixesOut: number;
  /**
   * Graceful restart: `peer-restarting` while we keep the peer's stale routes (helper),
   * `negotiated` when both sides advertised it, `none` otherwise.
   */
  readonly gracefulRestart: 'none' | 'negotiated' | 'peer-restarting';
  /**
   * The session's last failure, kept across re-establishment: a NOTIFICATION sent or received (code/
   * subcode and name), hold timer expiry, TCP loss, a failed TCP connect.
   */
  readonly lastError: string | undefined;
  /** When lastError happened (epoch milliseconds). */
  readonly lastErrorAt: number | undefined;
  readonly hostname: string | undefined;
  /** The session is signed with TCP MD5 (the password itself is never shown). */
  readonly md5: boolean;
}

/** IPv4-mapped IPv6 (from a dual-stack listener) back to IPv4. */
export function normaliseAddress(a: string | undefined): string {
  if (a === undefined) return '';
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}

/** RFC 6793 4.2.3: from a 2-octet peer, rebuild the real AS_PATH from AS_PATH and AS4_PATH. */
export function mergeFromTwoOctetPeer<T extends { attributes: PathAttributes }>(u: T, fourOctetAs: boolean): T {
  if (fourOctetAs) return u;
  const merged = mergeAs4Path(u.attributes);
  const { as4Path: _p, as4Aggregator: _a, ...rest } = u.attributes;
  return {
    ...u,
    attributes: {
      ...rest,
      ...(merged.asPath !== undefined ? { asPath: merged.asPath } : {}),
      ...(merged.aggregator !== undefined ? { aggregator: merged.aggregator } : {}),
    },
  };
}

/** Changes that need a new session (OPEN content or transport). */
export function sessionDiffers(a: PeerSpec, b: PeerSpec): boolean {
  return (
    a.asn !== b.asn ||
    (a.port ?? 179) !== (b.port ?? 179) ||
    (a.passive ?? false) !== (b.passive ?? false) ||
    (a.holdTime ?? 0) !== (b.holdTime ?? 0) ||
    JSON.stringify(a.gracefulRestart) !== JSON.stringify(b.gracefulRestart) ||
    a.localAddress !== b.localAddress ||
    // A connection keeps the key it was made with: a new password needs a new connection.
    a.password !== b.password
  );
}


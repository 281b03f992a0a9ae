// The options and results of the lab's external BGP routers (BIRD 2, FRR, GoBGP): what the pure
// renderers turn into a daemon's config and what the parsers turn its CLI output into. The test
// harness (test/harness/bgp-daemons/) runs the same renderers; its DaemonOptions adds the test
// world's namespace to RouterConfig.

export type RouterKind = 'bird' | 'frr' | 'gobgp';
export type Family = 4 | 6;

export interface RouterNeighbor {
  /** Peer address. Its family is the family the session carries (IPv4 unicast or IPv6 unicast). */
  readonly address: string;
  readonly asn: number;
  /** Never connect; wait for the peer. */
  readonly passive?: boolean;
  /** Route-reflector client (only with RouterConfig.routeReflector and an iBGP neighbor). */
  readonly rrClient?: boolean;
  readonly nextHopSelf?: boolean;
  /** Hold time in seconds (keepalive = hold / 3); overrides RouterConfig.holdTime. */
  readonly holdTime?: number;
  /** The peer's BGP port (default 179). */
  readonly port?: number;
  readonly gracefulRestart?: boolean;
  /** Source address of the session. */
  readonly localAddress?: string;
  /**
   * Explicit policy on this session (FRR only): route-maps that permit everything, applied in and/or
   * out. This is how an FRR eBGP session is configured correctly under RFC 8212 (strictPolicy).
   */
  readonly policy?: { readonly in?: 'permit-all'; readonly out?: 'permit-all' };
  /** eBGP to a peer that is not on a shared subnet (e.g. sessions to the router's loopback). */
  readonly multihop?: boolean;
  /** TCP MD5 signature (RFC 2385): printable ASCII without spaces, quotes or backslashes. */
  readonly password?: string;
}

/** A BGP speaker's configuration, independent of where it runs. */
export interface RouterConfig {
  readonly routerId: string;
  readonly asn: number;
  readonly neighbors: readonly RouterNeighbor[];
  readonly routeReflector?: { readonly clusterId?: string };
  /**
   * Install best routes in the netns FIB (BIRD: kernel protocol; FRR: zebra; GoBGP: a sync process
   * of ours, see gobgp-fib.ts, in the lab; the test harness's GoBGP ignores it).
   */
  readonly kernel?: boolean;
  /** Local BGP listen port (default 179). */
  readonly listenPort?: number;
  /** Default hold time in seconds for all neighbors (default: the daemon's own). */
  readonly holdTime?: number;
  /** Also run IPv6 unicast (IPv6 neighbors, IPv6 origination and FIB). */
  readonly ipv6?: boolean;
  /**
   * Keep RFC 8212 behaviour on eBGP sessions: nothing is accepted or sent without policy. Without it
   * every session imports and exports everything. (GoBGP has no RFC 8212 default; there it rejects
   * everything on every session.)
   */
  readonly strictPolicy?: boolean;
  /**
   * ECMP over eBGP paths from different neighbouring ASes (FRR: `maximum-paths` with
   * `bestpath as-path multipath-relax`; BIRD merges equal paths in its kernel protocol anyway;
   * GoBGP: `use-multiple-paths`, and the lab's FIB sync installs the equal paths).
   */
  readonly multipath?: boolean;
}

export type SessionState = 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established' | 'Unknown';

export interface RouterSession {
  readonly peer: string;
  readonly state: SessionState;
  readonly established: boolean;
  readonly prefixesReceived?: number;
}

export interface RouterRoute {
  readonly prefix: string;
  /** BGP NEXT_HOP (IPv6: global first, then link-local if sent); [] for unspecified local next hops. */
  readonly nextHops: string[];
  readonly asPath: number[];
  readonly localPref?: number;
  readonly med?: number;
  /** Standard communities as "asn:value". */
  readonly communities?: string[];
  readonly originatorId?: string;
  readonly clusterList?: string[];
  readonly best: boolean;
  /** The neighbor the path came from; absent for locally originated paths. */
  readonly from?: string;
}

/** Attributes of originated routes. */
export interface AnnounceOptions {
  readonly nextHop?: string;
  readonly communities?: readonly string[];
  readonly med?: number;
}

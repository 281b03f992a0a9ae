// The common face of the real BGP daemons (BIRD 2, FRR, GoBGP) that interop tests run in network
// namespaces. Each daemon module renders its config with a pure function, parses its native CLI
// output with pure normalisers, and keeps only process handling at the edge.

import type { Netns } from '../netns.js';

export type DaemonKind = 'bird' | 'frr' | 'gobgp';
export type Family = 4 | 6;

export interface DaemonNeighbor {
  /** Peer address. Its family is the family the session carries (IPv4 unicast or IPv6 unicast). */
  readonly address: string;
  readonly asn: number;
  /** Never connect; wait for the peer. */
  readonly passive?: boolean;
  /** Route-reflector client (only with DaemonOptions.routeReflector and an iBGP neighbor). */
  readonly rrClient?: boolean;
  readonly nextHopSelf?: boolean;
  /** Hold time in seconds (keepalive = hold / 3); overrides DaemonOptions.holdTime. */
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
}

export interface DaemonOptions {
  readonly ns: Netns;
  /** State dir (config, sockets, pid files, logs). Default: a fresh temp dir, removed on stop. */
  readonly dir?: string;
  readonly routerId: string;
  readonly asn: number;
  readonly neighbors: readonly DaemonNeighbor[];
  readonly routeReflector?: { readonly clusterId?: string };
  /** Install best routes in the netns FIB (BIRD: kernel protocol; FRR: zebra; GoBGP: no FIB). */
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
   * `bestpath as-path multipath-relax`; BIRD merges equal paths in its kernel protocol anyway).
   */
  readonly multipath?: boolean;
}

export type SessionState = 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established' | 'Unknown';

export interface DaemonSession {
  readonly peer: string;
  readonly state: SessionState;
  readonly established: boolean;
  readonly prefixesReceived?: number;
}

export interface DaemonRoute {
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

export interface AnnounceOptions {
  readonly nextHop?: string;
  readonly communities?: readonly string[];
  readonly med?: number;
}

export interface RestartOptions {
  /** Originate exactly these after the restart. */
  readonly announce?: readonly string[];
}

export interface BgpDaemon {
  readonly kind: DaemonKind;
  readonly dir: string;
  sessions(): Promise<DaemonSession[]>;
  /** Loc-RIB paths of one family (default 4). */
  routes(family?: Family): Promise<DaemonRoute[]>;
  /** Originate exactly these prefixes (IPv4 and/or IPv6), replacing the previous set; [] withdraws all. */
  announce(prefixes: readonly string[], opts?: AnnounceOptions): Promise<void>;
  waitEstablished(peer: string, timeoutMs?: number): Promise<void>;
  /**
   * Stop and start again with the same config and the same originated routes (or, with `announce`,
   * these instead: what a restarted peer no longer has). With graceful restart on a neighbor the
   * stop is one GR helpers survive (no Cease).
   */
  restart(opts?: RestartOptions): Promise<void>;
  /** Signal every process of the daemon by PID (SIGSTOP to freeze it, SIGCONT to thaw it). */
  signal(sig: NodeJS.Signals): void;
  /** Stop by PID and remove the state dir (unless it was given in DaemonOptions.dir). */
  stop(): Promise<void>;
  /** The daemon's own CLI (birdc / vtysh -c / gobgp), for debugging and sample capture. */
  cli(args: readonly string[]): Promise<string>;
}

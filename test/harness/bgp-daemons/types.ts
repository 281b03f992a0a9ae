// The common face of the real BGP daemons (BIRD 2, FRR, GoBGP) that interop tests run in network
// namespaces. Config rendering and output parsing are the lab's (src/lab/routers/, pure and
// golden-tested); each daemon module here keeps only process handling at the edge.

import type { AnnounceOptions, Family, RouterConfig, RouterKind, RouterNeighbor, RouterRoute, RouterSession } from '../../../src/lab/routers/types.js';
import type { Netns } from '../netns.js';

export type { AnnounceOptions, Family, SessionState } from '../../../src/lab/routers/types.js';
export type DaemonKind = RouterKind;
export type DaemonNeighbor = RouterNeighbor;
export type DaemonSession = RouterSession;
export type DaemonRoute = RouterRoute;

export interface DaemonOptions extends RouterConfig {
  readonly ns: Netns;
  /** State dir (config, sockets, pid files, logs). Default: a fresh temp dir, removed on stop. */
  readonly dir?: string;
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

// The BGP speaker: a listener, one Session per configured peer, a RIB per address family, and the
// glue between them: UPDATEs into the RIB through loop checks and import policy, Loc-RIB changes
// out to every peer's Adj-RIB-Out through the export rules and export policy, packed into as few
// UPDATEs as fit. Graceful restart as helper (stale paths kept for the peer's restart time while it
// is away, then for the stale-path time until its End-of-RIB flushes them) and as restarting
// speaker (R and F bits in OPEN, End-of-RIB after the initial table). Route refresh both ways.
// Only configured peers may connect.
//
// Everything kernel-related stays outside: listeners of onRoutes() program the FIB.
//
// Longer than the usual ~400 lines because it is the one place the per-peer state machines meet
// the shared RIBs; the pieces with rules of their own live beside it: route-rules.ts (RFC import
// and export rules), policy.ts, adj-rib-out.ts (queue and packing), peer-spec.ts (config types),
// listener.ts and md5-dial.ts (sockets, with TCP MD5 for peers that have a password).

import type { Socket } from 'node:net';
import {
  AFI_IPV4,
  AFI_IPV6,
  type AfiSafi,
  type DecodeResult,
  encodeMessage,
  endOfRib,
  endOfRibFamily,
  formatPrefix,
  parsePrefix,
  type PathAttributes,
  SAFI_UNICAST,
  updateRoutes,
  validateUpdate,
} from '../wire/index.js';
import { LOCAL_SOURCE, Rib, type LocRibChange, type RibPath, type SourceInfo } from '../rib/rib.js';
import { bgpIdToNumber, bgpIdToString } from '../fsm/collision.js';
import type { Negotiated } from '../session/negotiate.js';
import { Session, type SessionDeps } from '../session/session.js';
import { loadTcpMd5, type TcpMd5Sockets } from '../../net/tcp-md5.js';
import { AdjRibOut } from './adj-rib-out.js';
import { BgpListener } from './listener.js';
import { dialMd5 } from './md5-dial.js';
import { mergeFromTwoOctetPeer, normaliseAddress, sessionDiffers, type PeerSpec, type PeerStatus, type SpeakerConfig } from './peer-spec.js';

export { normaliseAddress, type PeerSpec, type PeerStatus, type SpeakerConfig } from './peer-spec.js';
import { ACCEPT_ALL, evaluatePolicy } from './policy.js';
import { exportRoute, isLoop, toCandidate, type ExportPeer, type ExportSource, type LocalIdentity, type RouteAttrs } from './route-rules.js';

export type RoutesListener = (afi: number, changes: readonly LocRibChange<RouteAttrs>[]) => void;

export interface SpeakerLog {
  (level: 'debug' | 'info' | 'warn' | 'error', msg: string, extra?: Record<string, unknown>): void;
}

const DEFAULT_FAMILIES: readonly AfiSafi[] = [
  { afi: AFI_IPV4, safi: SAFI_UNICAST },
  { afi: AFI_IPV6, safi: SAFI_UNICAST },
];

/** FRR's stalepath-time: how long a restarted peer that is back may take to send End-of-RIB. */
const DEFAULT_STALE_PATH_SECONDS = 360;
// After our restart, End-of-RIB waits at most this long for the peers' (BIRD's "graceful restart
// wait" and FRR's select-defer-time are longer; a peer that is down for good holds everyone's back).
const DEFAULT_SELECTION_DEFERRAL_SECONDS = 120;

interface Peer {
  spec: PeerSpec;
  session: Session;
  out: AdjRibOut;
  /**
   * Ends our keeping of the peer's stale paths (helper side of graceful restart): its restart
   * time while it is away, then the stale-path time once its session is back.
   */
  staleTimer?: NodeJS.Timeout | undefined;
  /** Families whose End-of-RIB we still wait for after a graceful restart of the peer. */
  awaitingEor: Set<number>;
  /** Families the peer has sent End-of-RIB for on the current session (its initial table is in). */
  eorReceived: Set<number>;
  /** Prefixes the peer announces that we did not accept (loop, policy, max-prefix). */
  rejected: Set<string>;
  /** The peer's graceful restart capability on the last established session. */
  peerGr?: NonNullable<Negotiated['peerGracefulRestart']> | undefined;
  /** Our End-of-RIB for these families waits for the selection deferral to end (we restarted). */
  eorDeferred?: readonly AfiSafi[] | undefined;
  /** The peer has a password but TCP MD5 is unavailable: its session is never started. */
  md5Error?: { readonly text: string; readonly at: number } | undefined;
}


function familyOfAddress(a: string): number {
  return a.includes(':') ? AFI_IPV6 : AFI_IPV4;
}

export class Speaker {
  readonly cfg: SpeakerConfig;
  readonly me: LocalIdentity;
  private readonly log: SpeakerLog;
  private readonly now: () => number;
  private readonly ribs = new Map<number, Rib<RouteAttrs>>();
  private readonly peers = new Map<string, Peer>();
  private readonly listeners: RoutesListener[] = [];
  private readonly syncListeners: (() => void)[] = [];
  private listener: BgpListener | undefined;
  private flushScheduled = false;
  private readonly startedAt: number;
  private selectionDone = false;
  private selectionTimer: NodeJS.Timeout | undefined;
  private readonly md5: () => TcpMd5Sockets;

  constructor(cfg: SpeakerConfig, deps: { log?: SpeakerLog; now?: () => number; md5?: () => TcpMd5Sockets } = {}) {
    this.cfg = cfg;
    this.me = { asn: cfg.asn, routerId: cfg.routerId, clusterId: cfg.clusterId ?? cfg.routerId };
    this.log = deps.log ?? (() => undefined);
    this.now = deps.now ?? (() => Date.now());
    this.md5 = deps.md5 ?? loadTcpMd5;
    this.startedAt = this.now();
    if (cfg.restarting === true) {
      this.selectionTimer = setTimeout(() => this.endSelectionDeferral('selection deferral time elapsed'), (cfg.selectionDeferralSeconds ?? DEFAULT_SELECTION_DEFERRAL_SECONDS) * 1000);
      this.selectionTimer.unref();
    }
    for (const f of cfg.families ?? DEFAULT_FAMILIES) this.ribs.set(f.afi, new Rib<RouteAttrs>({ toCandidate }));
  }

  /** Listen for peers (if a port is configured). Resolves with the bound port. */
  async start(): Promise<number> {
    if (this.cfg.listenPort === 0 && this.cfg.listenAddress === undefined) return 0;
    const listener = new BgpListener({
      host: this.cfg.listenAddress ?? '::',
      port: this.cfg.listenPort,
      onConnection: (socket) => this.accept(socket),
      log: this.log,
      md5: this.md5,
    });
    this.listener = listener;
    const port = await listener.start();
    if (this.peers.size > 0) this.syncListenerKeys();
    return port;
  }

  /** Stop: Cease to every peer (administrative shutdown) and close the listener. */
  async stop(opts: { graceful?: boolean } = {}): Promise<void> {
    if (this.selectionTimer !== undefined) clearTimeout(this.selectionTimer);
    for (const p of this.peers.values()) {
      if (p.staleTimer !== undefined) clearTimeout(p.staleTimer);
      // A graceful stop (agent restart) drops TCP without NOTIFICATION, so peers with graceful
      // restart keep our routes (RFC 4724) while we are away.
      if (opts.graceful === true) p.session.destroy();
      else p.session.stop();
    }
    this.peers.clear();
    const l = this.listener;
    this.listener = undefined;
    await l?.close();
  }

  onRoutes(l: RoutesListener): void {
    this.listeners.push(l);
  }

  /** Called whenever a peer completes its initial table (End-of-RIB) or a session changes state. */
  onSyncChange(l: () => void): void {
    this.syncListeners.push(l);
  }

  /**
   * Every configured peer is established and has sent End-of-RIB for each family of its session:
   * the Loc-RIB holds everything the network has to say (RFC 4724 4.1 selection deferral ends).
   */
  synced(): boolean {
    for (const p of this.peers.values()) {
      const n = p.session.negotiated;
      if (n === undefined) return false;
      if (!n.families.every((f) => p.eorReceived.has(f.afi))) return false;
    }
    return true;
  }

  private notifySync(): void {
    if (this.deferringSelection() && this.synced()) this.endSelectionDeferral('every peer sent End-of-RIB');
    for (const l of this.syncListeners) l();
  }

  /** Make the configured peers exactly `specs`: add new ones, drop removed ones, update changed ones. */
  setPeers(specs: readonly PeerSpec[]): void {
    const want = new Map(specs.map((s) => [normaliseAddress(s.address), s]));
    for (const [addr, p] of this.peers) {
      const s = want.get(addr);
      if (s === undefined) this.removePeer(addr);
      else if (sessionDiffers(p.spec, s)) {
        this.removePeer(addr);
      } else if (JSON.stringify(p.spec) !== JSON.stringify(s)) {
        const importChanged = JSON.stringify(p.spec.importPolicy) !== JSON.stringify(s.importPolicy);
        p.spec = s;
        if (importChanged) this.refreshFromPeer(p);
        this.reexport(p);
      }
    }
    for (const [addr, s] of want) if (!this.peers.has(addr)) this.addPeer(addr, s);
    this.syncListenerKeys();
  }

  /** Passive side of TCP MD5: the listener holds a key for every peer with a password. */
  private syncListenerKeys(): void {
    const keys = new Map<string, string>();
    for (const [addr, p] of this.peers) if (p.spec.password !== undefined && p.md5Error === undefined) keys.set(addr, p.spec.password);
    void this.listener?.setKeys(keys);
  }

  /** Originate (or replace) a route of ours: a podCIDR, a service range. */
  originate(prefix: string, attrs: PathAttributes = {}): void {
    const p = parsePrefix(prefix);
    const rib = this.ribs.get(p.afi);
    if (rib === undefined) throw new Error(`family of ${prefix} is not configured`);
    const pa: PathAttributes = { origin: 'igp', asPath: [], ...attrs };
    this.apply(p.afi, rib.upsert(formatPrefix(p), localSource, { pa, nextHop: '' }));
  }

  withdrawOrigin(prefix: string): void {
    const p = parsePrefix(prefix);
    const rib = this.ribs.get(p.afi);
    if (rib !== undefined) this.apply(p.afi, rib.withdraw(formatPrefix(p), LOCAL_SOURCE));
  }

  /** Replace the whole set of originated prefixes. */
  setOriginated(prefixes: readonly string[]): void {
    const want = new Set(prefixes.map((s) => formatPrefix(parsePrefix(s))));
    const have = new Set<string>();
    for (const [afi, rib] of this.ribs) {
      for (const p of rib.pathsFrom(LOCAL_SOURCE)) {
        if (want.has(p.prefix)) have.add(p.prefix);
        else this.apply(afi, rib.withdraw(p.prefix, LOCAL_SOURCE));
      }
    }
    for (const p of want) if (!have.has(p)) this.originate(p);
  }

  /** Number of prefixes in the Loc-RIB of one family. */
  locRibSize(afi: number): number {
    return this.ribs.get(afi)?.size ?? 0;
  }

  /** The Loc-RIB of one family. */
  locRib(afi: number): ReturnType<Rib<RouteAttrs>['locRib']> | [] {
    return this.ribs.get(afi)?.locRib() ?? [];
  }

  status(): PeerStatus[] {
    return [...this.peers.values()].map((p) => {
      let inCount = 0;
      for (const rib of this.ribs.values()) inCount += rib.countFrom(normaliseAddress(p.spec.address));
      const gr = p.staleTimer !== undefined ? 'peer-restarting' : p.session.negotiated?.peerGracefulRestart !== undefined ? 'negotiated' : 'none';
      return {
        address: normaliseAddress(p.spec.address),
        asn: p.spec.asn,
        state: p.session.state,
        uptimeMs: p.session.uptimeMs,
        prefixesReceived: inCount + p.rejected.size,
        prefixesIn: inCount,
        gracefulRestart: gr,
        prefixesOut: p.out.size,
        lastError: p.md5Error?.text ?? p.session.lastError?.text,
        lastErrorAt: p.md5Error?.at ?? p.session.lastError?.at,
        hostname: p.session.negotiated?.peerHostname,
        md5: p.spec.password !== undefined,
      };
    });
  }

  private addPeer(addr: string, spec: PeerSpec): void {
    const gr = spec.gracefulRestart ?? { restartTime: 120 };
    const families = (this.cfg.families ?? DEFAULT_FAMILIES).filter((f) => f.afi === familyOfAddress(addr));
    const restarting = this.cfg.restarting === true && gr !== false && this.now() - this.startedAt < gr.restartTime * 1000;
    const { connect, md5Error } = this.transport(addr, spec);
    const session = new Session(
      {
        local: {
          asn: this.cfg.asn,
          routerId: this.cfg.routerId,
          holdTime: spec.holdTime ?? this.cfg.holdTime ?? 90,
          families,
          ...(gr !== false
            ? { gracefulRestart: { restartTime: gr.restartTime, restarting, forwardingPreserved: this.cfg.restarting === true ? families : [] } }
            : {}),
        },
        peerAddress: addr,
        peerAsn: spec.asn,
        peerPort: spec.port ?? 179,
        passive: spec.passive ?? false,
        localAddress: spec.localAddress,
        ...(this.cfg.connectRetrySeconds !== undefined ? { connectRetrySeconds: this.cfg.connectRetrySeconds } : {}),
      },
      {
        established: (s, n) => this.onEstablished(addr, n),
        message: (s, m) => this.onMessage(addr, m),
        down: (s, info) => this.onDown(addr, info.graceful),
        log: (s, level, msg, extra) => this.log(level, msg, { peer: addr, ...extra }),
      },
      { now: this.now, ...(connect !== undefined ? { connect } : {}) },
    );
    const peer: Peer = {
      spec,
      md5Error,
      session,
      out: new AdjRibOut(),
      awaitingEor: new Set(),
      eorReceived: new Set(),
      rejected: new Set(),
    };
    this.peers.set(addr, peer);
    // Never run a peer that asks for a password without one (it would be unauthenticated).
    if (md5Error === undefined) session.start();
  }

  /** How this peer's outbound connections are made: plain, or signed with its password. */
  private transport(addr: string, spec: PeerSpec): { connect?: SessionDeps['connect']; md5Error?: { text: string; at: number } } {
    const password = spec.password;
    if (password === undefined) return {};
    let md5: TcpMd5Sockets;
    try {
      md5 = this.md5();
    } catch (e) {
      const err = `TCP MD5 unavailable: ${e instanceof Error ? e.message : String(e)}`;
      this.log('error', 'peer has a password but TCP MD5 is unavailable: session not started', { peer: addr, err });
      return { md5Error: { text: err, at: this.now() } };
    }
    return { connect: (o) => dialMd5(md5, { ...o, password }) };
  }

  private removePeer(addr: string): void {
    const p = this.peers.get(addr);
    if (p === undefined) return;
    if (p.staleTimer !== undefined) clearTimeout(p.staleTimer);
    p.session.stop();
    this.peers.delete(addr);
    for (const [afi, rib] of this.ribs) this.apply(afi, rib.dropSource(addr));
  }

  private accept(socket: Socket): void {
    const addr = normaliseAddress(socket.remoteAddress);
    const p = this.peers.get(addr);
    if (p === undefined) {
      // Only configured peers: anything else is closed before a byte is read.
      this.log('warn', 'refused BGP connection from an unconfigured address', { remote: addr });
      socket.destroy();
      return;
    }
    p.session.acceptInbound(socket);
  }

  private sourceInfo(addr: string, n: Negotiated | undefined): SourceInfo {
    const p = this.peers.get(addr);
    return { key: addr, bgpId: n !== undefined ? bgpIdToNumber(n.peerBgpId) : 0, ebgp: (p?.spec.asn ?? this.cfg.asn) !== this.cfg.asn };
  }

  private onEstablished(addr: string, n: Negotiated): void {
    const p = this.peers.get(addr);
    if (p === undefined) return;
    p.peerGr = n.peerGracefulRestart;
    // Helper side of graceful restart: the peer is back within its restart time, so that timer
    // stops (RFC 4724 4.2). Families it kept forwarding for keep their stale paths until its
    // End-of-RIB, for at most the stale-path time; anything else is flushed now.
    if (p.staleTimer !== undefined) {
      clearTimeout(p.staleTimer);
      p.staleTimer = undefined;
      const kept = new Set((n.peerGracefulRestart?.families ?? []).filter((f) => f.forwardingState).map((f) => f.afi));
      for (const [afi, rib] of this.ribs) {
        if (kept.has(afi) && p.awaitingEor.has(afi)) continue;
        p.awaitingEor.delete(afi);
        this.apply(afi, rib.flushStale(addr));
      }
      if (p.awaitingEor.size > 0) this.keepStale(addr, p, this.cfg.stalePathSeconds ?? DEFAULT_STALE_PATH_SECONDS, 'stale-path time');
    }
    p.out.clear();
    p.eorReceived.clear();
    p.rejected.clear();
    this.reexport(p);
    this.flush();
    // End-of-RIB after the initial table, for every family of the session. After our own restart
    // the initial table is not complete until every peer's is in (RFC 4724 4.1): a helper would
    // flush what we have not re-learned yet (the routes we reflect, say) at our End-of-RIB.
    if (this.deferringSelection()) p.eorDeferred = n.families;
    else this.sendEndOfRib(p, n.families);
  }

  private sendEndOfRib(p: Peer, families: readonly AfiSafi[]): void {
    const n = p.session.negotiated;
    if (n === undefined) return;
    p.session.send(families.map((f) => encodeMessage(endOfRib(f), n.ctx)));
  }

  /** Still deferring after our own restart: not every peer's End-of-RIB is in, and time is left. */
  private deferringSelection(): boolean {
    return this.cfg.restarting === true && !this.selectionDone;
  }

  /** Selection deferral over (every peer's End-of-RIB, or its time): the End-of-RIBs held back go. */
  private endSelectionDeferral(why: string): void {
    if (this.selectionDone) return;
    this.selectionDone = true;
    if (this.selectionTimer !== undefined) clearTimeout(this.selectionTimer);
    this.selectionTimer = undefined;
    this.log('info', 'selection deferral over: sending End-of-RIB', { why });
    // The UPDATEs still queued go first: End-of-RIB closes the table they belong to.
    this.flush();
    for (const p of this.peers.values()) {
      if (p.eorDeferred === undefined) continue;
      if (p.session.state === 'Established') this.sendEndOfRib(p, p.eorDeferred);
      p.eorDeferred = undefined;
    }
  }

  private onDown(addr: string, graceful: boolean): void {
    const p = this.peers.get(addr);
    if (p === undefined) return;
    p.eorReceived.clear();
    p.rejected.clear();
    this.notifySync();
    p.out.clear();
    const gr = p.peerGr;
    // RFC 4724 4.2: keep the routes of exactly the families the peer's capability listed (BIRD and
    // FRR as helpers list none: their routes go at once), as stale, for its restart time.
    const kept = new Set(graceful && gr !== undefined && gr.restartTime > 0 ? gr.families.map((f) => f.afi) : []);
    for (const [afi, rib] of this.ribs) if (!kept.has(afi)) this.apply(afi, rib.dropSource(addr));
    if (kept.size === 0 || gr === undefined) {
      // A real failure also ends a graceful restart still in progress: nothing stale is left.
      if (p.staleTimer !== undefined) clearTimeout(p.staleTimer);
      p.staleTimer = undefined;
      p.awaitingEor.clear();
      return;
    }
    for (const afi of kept) this.ribs.get(afi)?.markStale(addr);
    p.awaitingEor = new Set([...kept].filter((afi) => this.ribs.has(afi)));
    this.keepStale(addr, p, gr.restartTime, 'restart time');
    this.log('info', 'peer restarting gracefully: keeping its routes as stale', { peer: addr, seconds: gr.restartTime });
  }

  /** Keep the peer's stale paths for `seconds` more; then flush whatever is still stale. */
  private keepStale(addr: string, p: Peer, seconds: number, what: string): void {
    if (p.staleTimer !== undefined) clearTimeout(p.staleTimer);
    p.staleTimer = setTimeout(() => this.expireStale(addr, what), seconds * 1000);
    p.staleTimer.unref();
  }

  private expireStale(addr: string, what: string): void {
    const p = this.peers.get(addr);
    if (p === undefined) return;
    this.log('info', `peer's ${what} passed without End-of-RIB: flushing its stale routes`, { peer: addr });
    p.staleTimer = undefined;
    p.awaitingEor.clear();
    for (const [afi, rib] of this.ribs) this.apply(afi, rib.flushStale(addr));
  }

  private onMessage(addr: string, m: DecodeResult): void {
    const p = this.peers.get(addr);
    const n = p?.session.negotiated;
    if (p === undefined || n === undefined) return;
    if (m.message.type === 'route-refresh') {
      // Re-send our Adj-RIB-Out for that family (RFC 2918 4).
      p.out.forgetFamily(m.message.afi);
      this.reexport(p, m.message.afi);
      this.flush();
      return;
    }
    if (m.message.type !== 'update') return;
    const eor = endOfRibFamily(m.message);
    if (eor !== undefined) {
      p.eorReceived.add(eor.afi);
      this.notifySync();
      if (p.awaitingEor.delete(eor.afi)) {
        const rib = this.ribs.get(eor.afi);
        if (rib !== undefined) this.apply(eor.afi, rib.flushStale(addr));
        if (p.awaitingEor.size === 0 && p.staleTimer !== undefined) {
          clearTimeout(p.staleTimer);
          p.staleTimer = undefined;
        }
      }
      return;
    }
    const checked = validateUpdate({ message: m.message, problems: m.problems, action: m.action }, {
      localAs: this.cfg.asn,
      peerAs: p.spec.asn,
      routerId: this.cfg.routerId,
      localAddresses: [normaliseAddress(p.session.localAddress)].filter((x) => x !== ''),
      allowLoopbackNextHop: this.cfg.allowLoopbackNextHop ?? false,
    });
    for (const problem of checked.problems) this.log('warn', 'UPDATE problem (RFC 7606)', { peer: addr, action: problem.action, detail: problem.message });
    const routes = mergeFromTwoOctetPeer(updateRoutes(checked), n.ctx.fourOctetAs);
    const source = this.sourceInfo(addr, n);
    const byAfi = new Map<number, LocRibChange<RouteAttrs>[]>();
    const add = (afi: number, cs: LocRibChange<RouteAttrs>[]) => {
      if (cs.length === 0) return;
      const list = byAfi.get(afi);
      if (list === undefined) byAfi.set(afi, cs);
      else for (const c of cs) list.push(c);
    };
    for (const w of routes.withdrawn) {
      const rib = this.ribs.get(w.afi);
      const key = formatPrefix(w);
      p.rejected.delete(key);
      if (rib !== undefined) add(w.afi, rib.withdraw(key, addr));
    }
    const loop = isLoop(routes.attributes, this.me);
    for (const a of routes.announced) {
      for (const prefix of a.prefixes) {
        const rib = this.ribs.get(prefix.afi);
        // RFC 4760 6: routes of a family the session did not negotiate are not used.
        if (rib === undefined || !n.families.some((f) => f.afi === prefix.afi)) continue;
        const key = formatPrefix(prefix);
        const verdict = loop === undefined ? evaluatePolicy(p.spec.importPolicy ?? ACCEPT_ALL, prefix, routes.attributes) : { accepted: false as const };
        const admitted = verdict.accepted ? this.admit(p, rib, key) : 'reject';
        if (admitted === 'stop') return;
        if (admitted === 'reject' || !verdict.accepted) {
          p.rejected.add(key);
          add(prefix.afi, rib.withdraw(key, addr));
          continue;
        }
        p.rejected.delete(key);
        add(
          prefix.afi,
          rib.upsert(key, source, { pa: verdict.attrs, nextHop: a.nextHop ?? '', ...(a.linkLocalNextHop !== undefined ? { linkLocalNextHop: a.linkLocalNextHop } : {}) }),
        );
      }
    }
    for (const [afi, cs] of byAfi) this.apply(afi, cs);
  }

  /** Max-prefix (per peer, all families): store this path, reject it, or stop (session reset). */
  private admit(p: Peer, rib: Rib<RouteAttrs>, key: string): 'store' | 'reject' | 'stop' {
    const mp = p.spec.maxPrefix;
    if (mp === undefined) return 'store';
    const addr = normaliseAddress(p.spec.address);
    if (rib.hasPath(key, addr)) return 'store';
    let count = 0;
    for (const r of this.ribs.values()) count += r.countFrom(addr);
    if (count < mp.limit) return 'store';
    this.log('warn', 'peer exceeded its maximum prefix count', { peer: addr, limit: mp.limit, action: mp.action });
    if (mp.action === 'warn') return 'store';
    if (mp.action === 'restart') {
      // RFC 4486 Cease subcode 1, Maximum Number of Prefixes Reached; the session restarts after
      // its idle hold time, and nothing more of this UPDATE is used.
      p.session.connection.event({ type: 'message-error', code: 6, subcode: 1 });
      return 'stop';
    }
    return 'reject';
  }

  /** Loc-RIB changes: tell the kernel side, queue exports to every established peer. */
  private apply(afi: number, changes: readonly LocRibChange<RouteAttrs>[]): void {
    if (changes.length === 0) return;
    for (const l of this.listeners) l(afi, changes);
    for (const p of this.peers.values()) {
      if (p.session.state !== 'Established') continue;
      for (const c of changes) this.queueExport(p, c.prefix, c.now?.best);
    }
    this.scheduleFlush();
  }

  private exportPeer(p: Peer): ExportPeer | undefined {
    const localAddress = normaliseAddress(p.session.localAddress);
    if (localAddress === '') return undefined;
    return {
      key: normaliseAddress(p.spec.address),
      ebgp: p.spec.asn !== this.cfg.asn,
      routeReflectorClient: p.spec.routeReflectorClient ?? false,
      nextHopSelf: p.spec.nextHopSelf ?? false,
      localAddress,
    };
  }

  private queueExport(p: Peer, prefix: string, best: RibPath<RouteAttrs> | undefined): void {
    const to = this.exportPeer(p);
    const n = p.session.negotiated;
    if (to === undefined || n === undefined) return;
    const pfx = parsePrefix(prefix);
    if (!n.families.some((f) => f.afi === pfx.afi)) return;
    let attrs: RouteAttrs | undefined;
    if (best !== undefined) {
      const fromPeer = this.peers.get(best.source.key);
      const from: ExportSource = {
        key: best.source.key,
        local: best.source.key === LOCAL_SOURCE,
        ebgp: best.source.ebgp,
        routeReflectorClient: fromPeer?.spec.routeReflectorClient ?? false,
        // From the path itself: the source's session may be down (its paths stale) right now.
        bgpId: bgpIdToString(best.source.bgpId),
      };
      attrs = exportRoute(best.attrs, { from, to, me: this.me, policy: p.spec.exportPolicy ?? ACCEPT_ALL, prefix: pfx });
    }
    p.out.queue(prefix, attrs);
  }

  private reexport(p: Peer, afi?: number): void {
    if (p.session.state !== 'Established') return;
    for (const [a, rib] of this.ribs) {
      if (afi !== undefined && a !== afi) continue;
      for (const b of rib.locRib()) this.queueExport(p, b.best.prefix, b.best);
    }
    // Withdraw what we sent but no longer have (policy change).
    for (const prefix of p.out.sentPrefixes()) {
      const rib = this.ribs.get(parsePrefix(prefix).afi);
      if (rib?.best(prefix) === undefined) this.queueExport(p, prefix, undefined);
    }
    this.scheduleFlush();
  }

  private refreshFromPeer(p: Peer): void {
    const n = p.session.negotiated;
    if (n === undefined) return;
    if (n.routeRefresh) {
      p.session.send(n.families.map((f) => encodeMessage({ type: 'route-refresh', afi: f.afi, safi: f.safi, subtype: 0 }, n.ctx)));
    } else {
      // No route refresh: the only way to see the routes again is a new session.
      p.session.connection.event({ type: 'message-error', code: 6, subcode: 6 });
    }
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // Coalesce everything one event-loop turn produced into as few UPDATEs as possible.
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    for (const p of this.peers.values()) {
      const n = p.session.negotiated;
      if (n === undefined || !p.out.pending) continue;
      const msgs = p.out.flush(n.ctx, (prefixes, err) =>
        this.log('error', 'route cannot be encoded for this peer; not advertised', { peer: normaliseAddress(p.spec.address), prefixes: prefixes.length, err: String(err) }),
      );
      p.session.send(msgs);
    }
  }
}

const localSource: SourceInfo = { key: LOCAL_SOURCE, bgpId: 0, ebgp: false };

// A BGP session with one configured peer: dials it (unless passive), takes its inbound
// connections, resolves connection collisions (RFC 4271 6.8), and reports what matters to the
// speaker: established (with what was negotiated), UPDATEs and ROUTE-REFRESHes while established,
// and down (graceful or not). It owns sockets and timers; the rules live in the pure FSM.
//
// Collision handling: the "main" connection runs the FSM that dials and retries. An inbound
// connection that arrives while main is still in Connect/Active replaces the dial attempt. One
// that arrives while main is in OpenSent/OpenConfirm runs its own FSM beside it; as soon as the
// peer's OPEN arrives on either, the peer's BGP Identifier is known and resolveCollision() says
// which origin survives; the other is closed with Cease/Connection Collision Resolution (RFC 4486
// subcode 7).
//
// An inbound connection while Established is closed at once (CollisionDetectEstablishedState is
// off), except from a peer that negotiated graceful restart: that connection is run until its
// OPEN. A valid OPEN that still has graceful restart means the peer restarted before we noticed
// the old TCP connection die, so the old session ends as a TCP loss would end it (its routes kept
// as stale, RFC 4724 4.2) and the new connection carries on; anything else ends the new one.
//
// Flap damping (RFC 4271 8.1.1) belongs to the peer, not to one connection: the session keeps the
// IdleHoldTime its connections grew and hands it to every new one, and while that time runs the
// session is Idle and refuses the peer's connections as Idle must (8.2.2). Otherwise a peer that
// dials in would skip the back-off, and every fresh connection would restart it at 1 s.

import { connect as netConnect, type Socket } from 'node:net';
import { bgpIdToNumber, resolveCollision } from '../fsm/collision.js';
import { FSM_DEFAULTS, type FsmAction, type FsmConfig, type FsmStateName } from '../fsm/fsm.js';
import { type DecodeResult, describeNotification, type NotificationMessage, type OpenMessage, validateOpen } from '../wire/index.js';
import { Connection } from './connection.js';
import { buildOpen, type LocalOpenConfig, negotiate, type Negotiated } from './negotiate.js';

export interface SessionConfig {
  readonly local: LocalOpenConfig;
  readonly peerAddress: string;
  readonly peerAsn: number;
  readonly peerPort: number;
  readonly passive: boolean;
  /** Source address for outbound connections. */
  readonly localAddress?: string | undefined;
  readonly connectRetrySeconds?: number;
  readonly idleHoldSeconds?: number;
  readonly idleHoldMaxSeconds?: number;
}

export interface SessionEvents {
  established(s: Session, n: Negotiated): void;
  message(s: Session, m: DecodeResult): void;
  down(s: Session, info: { reason: string; graceful: boolean }): void;
  /** State changes, notifications, collisions: for logs and metrics. */
  log(s: Session, level: 'debug' | 'info' | 'warn', msg: string, extra?: Record<string, unknown>): void;
}

export interface SessionDeps {
  readonly now: () => number;
  readonly connect?: (opts: { host: string; port: number; localAddress?: string | undefined }) => Socket;
}

/** Why the session last failed, kept across re-establishment (for `meridian status`). */
export interface SessionError {
  /** Readable, with the NOTIFICATION's code/subcode and name when there was one. */
  readonly text: string;
  /** When it happened (the session's clock: epoch milliseconds unless a test passes its own). */
  readonly at: number;
}

const CEASE = 6;
const CEASE_COLLISION = 7;
const HOLD_TIMER_EXPIRED = 4;

function describeCode(code: number, subcode: number, data?: Uint8Array): string {
  return `NOTIFICATION ${code}/${subcode} (${describeNotification({ type: 'notification', code, subcode, data: Buffer.from(data ?? []) })})`;
}

export class Session {
  readonly cfg: SessionConfig;
  private readonly events: SessionEvents;
  private readonly deps: SessionDeps;
  private readonly fsmCfg: FsmConfig;
  private main: Connection;
  private pending: Connection | undefined;
  private negotiatedInfo: Negotiated | undefined;
  private establishedSince: number | undefined;
  private lastFailure: SessionError | undefined;
  /**
   * DampPeerOscillations across connections: the IdleHoldTime the peer's flaps grew so far and,
   * while the session waits it out, when that wait ends. Taken from the main connection's FSM
   * after each of its steps.
   */
  private damping: { seconds: number; until: number | undefined };
  private open: OpenMessage;
  /** stop()/destroy() was called: no redial, no adoption, ever again. */
  private stopped = false;

  constructor(cfg: SessionConfig, events: SessionEvents, deps: SessionDeps) {
    this.cfg = cfg;
    this.events = events;
    this.deps = deps;
    this.open = buildOpen(cfg.local);
    this.fsmCfg = {
      holdTime: cfg.local.holdTime,
      passive: cfg.passive,
      connectRetrySeconds: cfg.connectRetrySeconds ?? FSM_DEFAULTS.connectRetrySeconds,
      idleHoldSeconds: cfg.idleHoldSeconds ?? FSM_DEFAULTS.idleHoldSeconds,
      idleHoldMaxSeconds: cfg.idleHoldMaxSeconds ?? FSM_DEFAULTS.idleHoldMaxSeconds,
      stableSeconds: FSM_DEFAULTS.stableSeconds,
    };
    this.damping = { seconds: this.fsmCfg.idleHoldSeconds, until: undefined };
    this.main = this.newConnection('outbound');
  }

  get ebgp(): boolean {
    return this.cfg.peerAsn !== this.cfg.local.asn;
  }

  get state(): FsmStateName {
    return this.main.fsm.state;
  }

  get negotiated(): Negotiated | undefined {
    return this.state === 'Established' ? this.negotiatedInfo : undefined;
  }

  get uptimeMs(): number | undefined {
    return this.establishedSince === undefined ? undefined : this.deps.now() - this.establishedSince;
  }

  /** The last failure: NOTIFICATION sent or received, hold timer expiry, TCP loss or connect failure. */
  get lastError(): SessionError | undefined {
    return this.lastFailure;
  }

  get stats(): Connection['stats'] {
    return this.main.stats;
  }

  /** Our address on the established connection (the NEXT_HOP we advertise). */
  get localAddress(): string | undefined {
    return this.main.localAddress;
  }

  get connection(): Connection {
    return this.main;
  }

  /** Change what our next OPEN says (e.g. the R bit after the initial sync is done). */
  setLocalOpen(local: LocalOpenConfig): void {
    this.open = buildOpen(local);
  }

  start(): void {
    this.stopped = false;
    this.main.event({ type: 'start' });
  }

  stop(): void {
    this.stopped = true;
    this.pending?.destroy();
    this.pending = undefined;
    this.main.event({ type: 'stop' });
  }

  /** Tear down without a NOTIFICATION, as on process exit (peers see TCP loss: graceful restart). */
  destroy(): void {
    this.stopped = true;
    this.pending?.destroy();
    this.main.destroy();
  }

  /** An inbound connection from this peer's address, accepted by the speaker's listener. */
  acceptInbound(socket: Socket): void {
    if (this.stopped) {
      socket.destroy();
      return;
    }
    const state = this.main.fsm.state;
    if (state === 'Idle') {
      // Stopped, or waiting out the IdleHoldTime after a flap: Idle refuses the peer's
      // connections (RFC 4271 8.2.2), or a flapping peer that dials in would never be damped.
      this.events.log(this, 'debug', 'refusing an inbound connection while idle', { idleHoldUntil: this.damping.until });
      socket.destroy();
      return;
    }
    if (state === 'Active') {
      // No connection and no dial in flight (passive, or between retries): the peer's
      // connection becomes the session's.
      this.main.destroy();
      this.adoptInbound(socket);
      return;
    }
    if (state === 'Established' && this.negotiatedInfo?.peerGracefulRestart !== undefined && this.pending === undefined) {
      // Perhaps the peer restarted and our connection is dead without our having noticed. Only
      // its OPEN can say so (resolve): a bare connection from its address ends nothing.
      this.acceptPending(socket);
      return;
    }
    if (state !== 'Established' && this.pending === undefined) {
      // A dial is in flight or has connected: two connections now exist. Both run until the
      // peer's OPEN tells us its identifier; then both ends, comparing the same two
      // identifiers, keep the same one (RFC 4271 6.8).
      this.acceptPending(socket);
      if ((state === 'OpenSent' || state === 'OpenConfirm') && this.main.peerOpen !== undefined) this.resolve(this.main.peerOpen);
      return;
    }
    // Established (CollisionDetectEstablishedState off) or a third connection: refuse it.
    this.events.log(this, 'debug', 'refusing a second inbound connection', { state });
    socket.destroy();
  }

  /** A second connection, run until the peer's OPEN on it decides between the two (resolve). */
  private acceptPending(socket: Socket): void {
    this.accept(socket, 'pending');
  }

  /**
   * A graceful-restart peer sent a valid OPEN, with graceful restart, on a new connection while
   * our session with it is Established: it restarted and its old connection is dead without our
   * having noticed (RFC 4724 4.2; FRR and BIRD do the same). End the old session as a TCP loss
   * would: closed without NOTIFICATION, `down` with graceful set, so the speaker keeps the peer's
   * routes as stale. Then the new connection is the session's.
   */
  private peerRestarted(next: Connection, n: Negotiated): void {
    const old = this.main;
    this.events.log(this, 'info', 'OPEN on a new connection from an established graceful-restart peer: it restarted, ending the old session');
    old.event({ type: 'tcp-closed' });
    old.destroy();
    this.recordError('peer restarted while Established (graceful restart): old session closed');
    this.main = next;
    this.negotiatedInfo = n;
  }

  private adoptInbound(socket: Socket): void {
    this.accept(socket, 'main');
  }

  /** The connection takes its role before its first event: the hooks tell main from pending. */
  private accept(socket: Socket, role: 'main' | 'pending'): void {
    const c = this.newConnection('inbound');
    if (role === 'main') this.main = c;
    else this.pending = c;
    c.event({ type: 'start' });
    c.attach(socket);
    c.event({ type: 'tcp-accepted' });
  }

  /** Send already-encoded UPDATE/ROUTE-REFRESH messages on the established connection. */
  send(messages: readonly Buffer[]): void {
    if (this.state !== 'Established') return;
    for (const m of messages) {
      this.main.stats.updatesOut++;
      this.main.write(m);
    }
  }

  private newConnection(origin: 'outbound' | 'inbound'): Connection {
    const fsm: FsmConfig = origin === 'inbound' ? { ...this.fsmCfg, passive: true } : this.fsmCfg;
    return new Connection({
      fsm,
      origin,
      idleHoldSeconds: this.damping.seconds,
      open: this.open,
      validateOpen: (open) => validateOpen(open, { localAs: this.cfg.local.asn, peerAs: this.cfg.peerAsn, routerId: this.cfg.local.routerId }),
      now: this.deps.now,
      hooks: {
        onActions: (conn, actions) => this.onActions(conn, actions),
        onMessage: (conn, m) => {
          if (conn === this.main) this.events.message(this, m);
        },
        onOpen: (conn, open) => {
          const n = negotiate(this.open, open, { ebgp: this.ebgp });
          conn.setContext(n.ctx);
          if (conn === this.main) this.negotiatedInfo = n;
          if (this.pending !== undefined) this.resolve(open);
        },
        onNotification: (_conn, n: NotificationMessage) => {
          this.recordError(`received ${describeCode(n.code, n.subcode, n.data)}`);
          this.events.log(this, 'warn', 'NOTIFICATION received', { code: n.code, subcode: n.subcode });
        },
        onClosed: (conn) => {
          if (conn === this.pending) this.pending = undefined;
          // An inbound main connection ends with its socket; the session then dials again (after
          // the back-off its FSM armed), unless the peer is passive and will call us.
          if (this.stopped) return;
          if (conn === this.main && conn.origin === 'inbound' && !this.cfg.passive && !conn.closed) this.restartOutbound();
          else if (conn === this.main && this.pending !== undefined && conn.fsm.state !== 'Established') {
            // The main connection failed while the peer's own connection is still opening.
            const p = this.pending;
            this.pending = undefined;
            this.main = p;
          }
        },
      },
    });
  }

  /** Two connections exist and the peer's identifier is known: keep one, Cease the other. */
  private resolve(peerOpen: OpenMessage): void {
    const pending = this.pending;
    if (pending === undefined) return;
    if (this.main.fsm.state === 'Established') {
      // Only a graceful-restart peer's connection is kept waiting while Established, and its OPEN
      // came on the new one: a restart if that OPEN still has graceful restart, else a collision
      // the established session wins (Cease / Connection Collision Resolution on the new one).
      this.pending = undefined;
      const n = negotiate(this.open, peerOpen, { ebgp: this.ebgp });
      if (n.peerGracefulRestart !== undefined) this.peerRestarted(pending, n);
      else {
        pending.event({ type: 'message-error', code: CEASE, subcode: CEASE_COLLISION });
        pending.destroy();
      }
      return;
    }
    const mainLive = this.main.fsm.state === 'OpenSent' || this.main.fsm.state === 'OpenConfirm';
    // A dial still in flight (Connect) has no connection the peer knows of: the peer's own
    // connection is the only one it has, so both ends keep that one.
    const keep = mainLive ? resolveCollision({ localBgpId: bgpIdToNumber(this.cfg.local.routerId), remoteBgpId: bgpIdToNumber(peerOpen.bgpId) }) : 'inbound';
    const [winner, loser] = this.main.origin === keep ? [this.main, pending] : [pending, this.main];
    this.events.log(this, 'info', 'connection collision resolved', { kept: keep });
    this.pending = undefined;
    // The winner is the session's before the loser is failed: a collision is no flap (it must
    // not grow the IdleHoldTime) and no error to report.
    if (winner !== this.main) {
      this.main = winner;
      if (winner.peerOpen !== undefined) this.negotiatedInfo = negotiate(this.open, winner.peerOpen, { ebgp: this.ebgp });
    }
    // Cease / Connection Collision Resolution on the loser (RFC 4486 subcode 7), if it has a
    // socket; a dial still in flight is simply abandoned (its socket is destroyed on connect).
    loser.event({ type: 'message-error', code: CEASE, subcode: CEASE_COLLISION });
    loser.destroy();
  }

  private onActions(conn: Connection, actions: readonly FsmAction[]): void {
    if (conn === this.main) this.damping = { seconds: conn.fsm.idleHoldSeconds, until: conn.fsm.idleHoldUntil };
    for (const a of actions) {
      if (a.type === 'connect' && conn === this.main) this.dial(conn);
      if (conn !== this.main) continue;
      if (a.type === 'established') {
        this.establishedSince = this.deps.now();
        if (this.pending !== undefined) {
          this.pending.destroy();
          this.pending = undefined;
        }
        const n = this.negotiatedInfo;
        if (n !== undefined) {
          this.events.log(this, 'info', 'session established', { holdTime: n.holdTime, families: n.families });
          this.events.established(this, n);
        }
      }
      if (a.type === 'send-notification') {
        const sent = `sent ${describeCode(a.code, a.subcode, a.data)}`;
        this.recordError(a.code === HOLD_TIMER_EXPIRED ? `hold timer expired: ${sent}` : sent);
      }
      if (a.type === 'down') {
        this.establishedSince = undefined;
        if (a.reason === 'connection-closed') this.recordError('TCP connection lost (closed without NOTIFICATION)');
        this.events.log(this, 'info', 'session down', { reason: a.reason, graceful: a.graceful });
        this.events.down(this, { reason: a.reason, graceful: a.graceful });
      }
    }
  }

  private recordError(text: string): void {
    this.lastFailure = { text, at: this.deps.now() };
  }

  private restartOutbound(): void {
    const c = this.newConnection('outbound');
    this.main = c;
    // Keep the back-off: start after the IdleHoldTime the failed connection armed. Until then the
    // new connection is Idle, so the peer's connections are refused meanwhile.
    const waitMs = Math.max(0, (this.damping.until ?? this.deps.now()) - this.deps.now());
    setTimeout(() => {
      if (this.main === c && !this.stopped) c.event({ type: 'start' });
    }, waitMs).unref();
  }

  private dial(conn: Connection): void {
    const connect = this.deps.connect ?? ((o) => netConnect({ host: o.host, port: o.port, ...(o.localAddress !== undefined ? { localAddress: o.localAddress } : {}) }));
    const socket = connect({ host: this.cfg.peerAddress, port: this.cfg.peerPort, localAddress: this.cfg.localAddress });
    const target = this.cfg.peerAddress.includes(':') ? `[${this.cfg.peerAddress}]:${this.cfg.peerPort}` : `${this.cfg.peerAddress}:${this.cfg.peerPort}`;
    let connected = false;
    socket.setTimeout(this.fsmCfg.connectRetrySeconds * 1000);
    socket.once('timeout', () => {
      if (connected) return;
      if (conn === this.main) this.recordError(`TCP connect to ${target} timed out`);
      socket.destroy();
    });
    socket.once('connect', () => {
      connected = true;
      socket.setTimeout(0);
      if (conn !== this.main || conn.fsm.state !== 'Connect') {
        socket.destroy();
        return;
      }
      conn.attach(socket);
      conn.event({ type: 'tcp-connected' });
    });
    socket.once('close', () => {
      if (!connected && conn === this.main) conn.event({ type: 'tcp-failed' });
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (!connected && conn === this.main) this.recordError(`TCP connect to ${target} failed: ${e.code ?? e.message}`);
    });
  }
}

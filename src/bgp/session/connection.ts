// One TCP connection of a BGP session: the socket, the framer, the FSM that runs on it and the
// timer that ticks that FSM. The Session (session.ts) owns one or, during a connection collision,
// two of these. This file turns bytes into FSM events and FSM actions into bytes; it decides
// nothing about routes.

import type { Socket } from 'node:net';
import { initialFsm, nextDeadline, step, type Fsm, type FsmAction, type FsmConfig, type FsmEvent } from '../fsm/fsm.js';
import { bgpIdToNumber } from '../fsm/collision.js';
import {
  type CodecContext,
  DEFAULT_CONTEXT,
  decodeFrame,
  type DecodeResult,
  encodeMessage,
  Framer,
  KEEPALIVE,
  type NotificationMessage,
  notificationFromError,
  type OpenMessage,
  openAsn,
  WireError,
} from '../wire/index.js';

export type ConnectionOrigin = 'outbound' | 'inbound';

export interface ConnectionHooks {
  /** Every action after the FSM took a step, before the connection carries it out. */
  onActions(conn: Connection, actions: readonly FsmAction[]): void;
  /** A decoded message other than OPEN/KEEPALIVE/NOTIFICATION bookkeeping (UPDATE, ROUTE-REFRESH). */
  onMessage(conn: Connection, m: DecodeResult): void;
  /** The peer's OPEN arrived and passed validation; return false to refuse it (collision lost). */
  onOpen(conn: Connection, open: OpenMessage): void;
  /** A NOTIFICATION was received. */
  onNotification(conn: Connection, n: NotificationMessage): void;
  /** The socket is gone and the FSM has seen it. */
  onClosed(conn: Connection): void;
}

export interface ConnectionOptions {
  readonly fsm: FsmConfig;
  readonly origin: ConnectionOrigin;
  /** Our OPEN for this peer. */
  readonly open: OpenMessage;
  /** Checks the peer's OPEN against our configuration; throws the WireError to send. */
  readonly validateOpen: (open: OpenMessage) => void;
  /** The IdleHoldTime the peer's earlier connections grew to by flapping (the session keeps it). */
  readonly idleHoldSeconds?: number;
  readonly now: () => number;
  readonly hooks: ConnectionHooks;
}

export class Connection {
  readonly origin: ConnectionOrigin;
  private fsmState: Fsm;
  private socket: Socket | undefined;
  private framer = new Framer();
  /** False once we closed the connection: frames still in flight are not acted on. */
  private reading = false;
  private timer: NodeJS.Timeout | undefined;
  private ctx: CodecContext = { ...DEFAULT_CONTEXT, fourOctetAs: false };
  private readonly opts: ConnectionOptions;
  peerOpen: OpenMessage | undefined;
  closed = false;
  readonly stats = { messagesIn: 0, messagesOut: 0, updatesIn: 0, updatesOut: 0 };

  constructor(opts: ConnectionOptions) {
    this.opts = opts;
    this.origin = opts.origin;
    this.fsmState = initialFsm(opts.fsm, { idleHoldSeconds: opts.idleHoldSeconds });
  }

  get fsm(): Fsm {
    return this.fsmState;
  }

  /** Codec facts negotiated in OPEN; the session sets them when the peer's OPEN arrives. */
  setContext(ctx: CodecContext): void {
    this.ctx = ctx;
    this.framer.extendedMessage = ctx.extendedMessage;
  }

  get context(): CodecContext {
    return this.ctx;
  }

  /** Hand this connection its socket (outbound: once connected; inbound: at once). */
  attach(socket: Socket): void {
    // A redial reuses this object: nothing of the previous transport may leak into the new one
    // (a half-read message in the framer would desynchronise the new stream for good).
    this.socket = socket;
    this.framer = new Framer();
    this.reading = true;
    this.peerOpen = undefined;
    this.ctx = { ...DEFAULT_CONTEXT, fourOctetAs: false };
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      if (this.socket !== socket) return;
      this.receive(chunk);
      // Yield between chunks: libuv reads a busy socket up to 32 times per poll round, so a table
      // load (megabytes of UPDATEs) held off timers and child processes for seconds (measured: the
      // route programmer's `ip -batch` of the first routes completed only after 100,000 had
      // arrived). One chunk per event-loop turn lets kernel programming overlap the load.
      if (!socket.isPaused()) {
        socket.pause();
        setImmediate(() => {
          if (!socket.destroyed) socket.resume();
        });
      }
    });
    socket.on('error', () => undefined); // 'close' follows and is what we act on
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.event({ type: 'tcp-closed' });
      this.opts.hooks.onClosed(this);
    });
  }

  /** Feed one FSM event, run its actions, re-arm the timer. */
  event(ev: FsmEvent): void {
    if (this.closed && ev.type !== 'tcp-closed') return;
    const r = step(this.opts.fsm, this.fsmState, ev, this.opts.now());
    this.fsmState = r.fsm;
    this.opts.hooks.onActions(this, r.actions);
    for (const a of r.actions) this.perform(a);
    this.arm();
  }

  private arm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const at = nextDeadline(this.fsmState);
    if (at === undefined || this.closed) return;
    this.timer = setTimeout(() => this.event({ type: 'tick' }), Math.max(0, at - this.opts.now()));
    this.timer.unref();
  }

  private perform(a: FsmAction): void {
    switch (a.type) {
      case 'send-open':
        this.write(encodeMessage(this.opts.open, this.ctx));
        return;
      case 'send-keepalive':
        this.write(encodeMessage(KEEPALIVE, this.ctx));
        return;
      case 'send-notification':
        this.write(encodeMessage({ type: 'notification', code: a.code, subcode: a.subcode, data: Buffer.from(a.data ?? []) }, this.ctx));
        return;
      case 'close':
        this.close();
        return;
      default:
        // connect, established, down: the session's business (it saw them in onActions).
        return;
    }
  }

  /** Write raw encoded messages (UPDATEs from the speaker). */
  write(bytes: Buffer): boolean {
    if (this.socket === undefined || this.socket.destroyed) return false;
    this.stats.messagesOut++;
    return this.socket.write(bytes);
  }

  /** Bytes queued in the socket but not yet sent: the speaker's back-pressure signal. */
  get writableLength(): number {
    return this.socket?.writableLength ?? 0;
  }

  onDrain(cb: () => void): void {
    this.socket?.once('drain', cb);
  }

  /** Close after what was written (a NOTIFICATION) has been flushed; destroy if it hangs. */
  close(): void {
    this.reading = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const s = this.socket;
    if (s === undefined) return;
    s.end();
    setTimeout(() => s.destroy(), 1000).unref();
  }

  /** Stop everything now (session shutdown). */
  destroy(): void {
    this.closed = true;
    this.close();
  }

  get remoteAddress(): string | undefined {
    return this.socket?.remoteAddress;
  }

  get localAddress(): string | undefined {
    return this.socket?.localAddress;
  }

  private receive(chunk: Buffer): void {
    if (!this.reading) return;
    try {
      this.framer.push(chunk, (frame) => {
        if (this.closed || this.socket === undefined || !this.reading) return;
        this.stats.messagesIn++;
        this.handle(decodeFrame(frame, this.ctx));
      });
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
      const n = notificationFromError(e);
      this.event({ type: 'message-error', code: n.code, subcode: n.subcode, data: n.data });
    }
  }

  private handle(r: DecodeResult): void {
    const m = r.message;
    switch (m.type) {
      case 'open': {
        try {
          this.opts.validateOpen(m);
        } catch (e) {
          if (!(e instanceof WireError)) throw e;
          const n = notificationFromError(e);
          this.event({ type: 'message-error', code: n.code, subcode: n.subcode, data: n.data });
          return;
        }
        this.peerOpen = m;
        this.opts.hooks.onOpen(this, m);
        if (this.closed) return;
        this.event({ type: 'open-received', open: { asn: openAsn(m), holdTime: m.holdTime, bgpId: bgpIdToNumber(m.bgpId) } });
        return;
      }
      case 'keepalive':
        this.event({ type: 'keepalive-received' });
        return;
      case 'notification':
        this.opts.hooks.onNotification(this, m);
        this.event({ type: 'notification-received', code: m.code, subcode: m.subcode });
        return;
      case 'update':
        this.stats.updatesIn++;
        this.event({ type: 'update-received' });
        if (this.fsmState.state === 'Established') this.opts.hooks.onMessage(this, r);
        return;
      case 'route-refresh':
        this.event({ type: 'route-refresh-received' });
        if (this.fsmState.state === 'Established') this.opts.hooks.onMessage(this, r);
        return;
      default:
        return;
    }
  }
}

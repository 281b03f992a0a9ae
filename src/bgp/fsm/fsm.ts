// The BGP finite state machine of one connection attempt to one peer, RFC 4271 section 8, as a
// pure function: step(fsm, event, now) -> { fsm, actions }. It owns no socket and no timer: timers
// are deadlines in the state (milliseconds, on whatever clock the caller passes as `now`), the
// caller asks nextDeadline() when to send a `tick`, and the actions say what to do with the
// transport (connect, send, close) and what to tell the RIB (established, down).
//
// Deliberate simplifications of section 8, each what BIRD, FRR and GoBGP also do:
// - Optional session attributes DelayOpen, SendNOTIFICATIONwithoutOPEN and CollisionDetect-
//   EstablishedState are off; TrackTcpState is off. Collision detection between two connections
//   to the same peer is decided by the session layer with resolveCollision() (collision.ts).
// - DampPeerOscillations (8.1.1) is on: after an error the FSM waits IdleHoldTime in Idle, doubling
//   it on every flap up to a maximum, and resetting it once a session stayed Established long
//   enough. A manual stop never arms it.
// - The KeepaliveTimer restarts only on KEEPALIVEs we send (sending an UPDATE would also allow a
//   restart; sending keepalives a little more often than needed is harmless).

import { assertNever } from '../../errors.js';

export type FsmStateName = 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established';

/** What the session learned from the peer's OPEN, already decoded (4-octet AS resolved). */
export interface OpenParams {
  readonly asn: number;
  readonly holdTime: number;
  /** BGP Identifier as an unsigned 32-bit integer. */
  readonly bgpId: number;
}

export interface FsmConfig {
  /** Hold time we propose (seconds): 0 or >= 3. */
  readonly holdTime: number;
  /** Never dial: wait for the peer to connect (passive peers, RFC 4271 PassiveTcpEstablishment). */
  readonly passive: boolean;
  readonly connectRetrySeconds: number;
  /** First IdleHoldTime after an error; doubles per flap up to idleHoldMaxSeconds. */
  readonly idleHoldSeconds: number;
  readonly idleHoldMaxSeconds: number;
  /** A session Established this long resets the IdleHoldTime to its first value. */
  readonly stableSeconds: number;
}

/** RFC 4271 10: "suggested" values, shortened where a data-centre fabric wants faster recovery. */
export const FSM_DEFAULTS = {
  connectRetrySeconds: 5,
  idleHoldSeconds: 1,
  idleHoldMaxSeconds: 60,
  stableSeconds: 60,
  // RFC 4271 8.2.2: "a large value" for the HoldTimer while waiting for the peer's OPEN.
  openSentHoldSeconds: 240,
} as const;

export interface Fsm {
  readonly state: FsmStateName;
  /** A manual start is in force: the FSM restarts by itself after errors. */
  readonly running: boolean;
  readonly connectRetryAt?: number | undefined;
  readonly holdAt?: number | undefined;
  readonly keepaliveAt?: number | undefined;
  readonly idleHoldUntil?: number | undefined;
  /** Current IdleHoldTime (seconds), grown by flaps. */
  readonly idleHoldSeconds: number;
  /**
   * Connections refused in a row (dial refused, or closed by the peer before its OPEN) since the
   * peer last sent an OPEN: sets the quick-retry backoff.
   */
  readonly refusedDials?: number | undefined;
  readonly negotiatedHoldTime?: number | undefined;
  readonly peer?: OpenParams | undefined;
  readonly establishedAt?: number | undefined;
}

export type FsmEvent =
  | { readonly type: 'start' }
  | { readonly type: 'stop'; readonly reason?: string }
  | { readonly type: 'tick' }
  /** Our outbound connection completed. */
  | { readonly type: 'tcp-connected' }
  /** The peer's connection was accepted on our listener and handed to this FSM. */
  | { readonly type: 'tcp-accepted' }
  | { readonly type: 'tcp-failed' }
  | { readonly type: 'tcp-closed' }
  | { readonly type: 'open-received'; readonly open: OpenParams }
  | { readonly type: 'keepalive-received' }
  | { readonly type: 'update-received' }
  | { readonly type: 'route-refresh-received' }
  | { readonly type: 'notification-received'; readonly code: number; readonly subcode: number }
  /** The decoder found an error that requires a session reset (header, OPEN or UPDATE). */
  | { readonly type: 'message-error'; readonly code: number; readonly subcode: number; readonly data?: Uint8Array };

export type DownReason =
  | 'hold-timer-expired'
  | 'notification-received'
  | 'notification-sent'
  | 'connection-closed'
  | 'stopped';

export type FsmAction =
  | { readonly type: 'connect' }
  | { readonly type: 'send-open'; readonly holdTime: number }
  | { readonly type: 'send-keepalive' }
  | { readonly type: 'send-notification'; readonly code: number; readonly subcode: number; readonly data?: Uint8Array }
  | { readonly type: 'close' }
  | { readonly type: 'established'; readonly holdTime: number; readonly peer: OpenParams }
  /**
   * The session left Established. `graceful` is true when it ended by TCP loss or hold timer
   * expiry rather than a NOTIFICATION exchange or a manual stop: the RIB then keeps the peer's
   * routes as stale if graceful restart was negotiated (RFC 4724 4.2).
   */
  | { readonly type: 'down'; readonly reason: DownReason; readonly graceful: boolean };

// NOTIFICATION codes used by the FSM (RFC 4271 4.5, RFC 6608 FSM subcodes, RFC 4486 Cease).
export const NOTIFY = {
  holdTimerExpired: 4,
  fsmError: 5,
  fsmUnexpectedInOpenSent: 1,
  fsmUnexpectedInOpenConfirm: 2,
  fsmUnexpectedInEstablished: 3,
  cease: 6,
  ceaseAdminShutdown: 2,
} as const;

/**
 * A new FSM in Idle. `idleHoldSeconds` carries the IdleHoldTime that earlier connections to the
 * same peer grew by flapping: damping belongs to the peer, not to one connection (8.1.1).
 */
export function initialFsm(cfg: FsmConfig, opts: { readonly idleHoldSeconds?: number } = {}): Fsm {
  return { state: 'Idle', running: false, idleHoldSeconds: opts.idleHoldSeconds ?? cfg.idleHoldSeconds };
}

export interface StepResult {
  readonly fsm: Fsm;
  readonly actions: readonly FsmAction[];
}

const s = (n: number) => n * 1000;

/** The earliest timer deadline, or undefined when no timer runs. */
export function nextDeadline(f: Fsm): number | undefined {
  const ds = [f.connectRetryAt, f.holdAt, f.keepaliveAt, f.idleHoldUntil].filter((d): d is number => d !== undefined);
  return ds.length === 0 ? undefined : Math.min(...ds);
}

const NO_TIMERS = { connectRetryAt: undefined, holdAt: undefined, keepaliveAt: undefined } as const;

/** Leave for Idle after an error: release the connection, arm the (growing) IdleHoldTimer. */
function fail(cfg: FsmConfig, f: Fsm, now: number, reason: DownReason, actions: FsmAction[]): StepResult {
  const wasEstablished = f.state === 'Established';
  const stable = wasEstablished && f.establishedAt !== undefined && now - f.establishedAt >= s(cfg.stableSeconds);
  const hold = stable ? cfg.idleHoldSeconds : f.idleHoldSeconds;
  const out: FsmAction[] = [...actions, { type: 'close' }];
  // RFC 4724 4.2: a session that ends by TCP loss is the case graceful restart covers (the peer's
  // routes are kept as stale). A hold timer expiry sends a NOTIFICATION, and without the N bit
  // (RFC 8538, which we do not advertise) that ends graceful restart: routes go at once.
  if (wasEstablished) out.push({ type: 'down', reason, graceful: reason === 'connection-closed' });
  return {
    fsm: {
      state: 'Idle',
      running: f.running,
      ...NO_TIMERS,
      idleHoldUntil: f.running ? now + s(hold) : undefined,
      idleHoldSeconds: Math.min(cfg.idleHoldMaxSeconds, hold * 2),
    },
    actions: out,
  };
}

function notifyAndFail(cfg: FsmConfig, f: Fsm, now: number, code: number, subcode: number, data?: Uint8Array): StepResult {
  const n: FsmAction = data === undefined ? { type: 'send-notification', code, subcode } : { type: 'send-notification', code, subcode, data };
  return fail(cfg, f, now, 'notification-sent', [n]);
}

/** Start a connection attempt (from Idle, after a start or when the IdleHoldTimer expires). */
function begin(cfg: FsmConfig, f: Fsm, now: number): StepResult {
  if (cfg.passive) return { fsm: { ...f, state: 'Active', ...NO_TIMERS, idleHoldUntil: undefined }, actions: [] };
  return {
    fsm: { ...f, state: 'Connect', ...NO_TIMERS, idleHoldUntil: undefined, connectRetryAt: now + s(cfg.connectRetrySeconds) },
    actions: [{ type: 'connect' }],
  };
}

/** The transport is up: send OPEN and wait for the peer's with a large hold timer. */
function connected(cfg: FsmConfig, f: Fsm, now: number): StepResult {
  return {
    fsm: { ...f, state: 'OpenSent', ...NO_TIMERS, holdAt: now + s(FSM_DEFAULTS.openSentHoldSeconds) },
    actions: [{ type: 'send-open', holdTime: cfg.holdTime }],
  };
}

function unexpectedSubcode(state: FsmStateName): number {
  if (state === 'OpenSent') return NOTIFY.fsmUnexpectedInOpenSent;
  if (state === 'OpenConfirm') return NOTIFY.fsmUnexpectedInOpenConfirm;
  return NOTIFY.fsmUnexpectedInEstablished;
}

/** Which timers expired at `now`, in the order RFC 4271 would raise them. */
function expired(f: Fsm, now: number): 'idle-hold' | 'hold' | 'keepalive' | 'connect-retry' | undefined {
  if (f.idleHoldUntil !== undefined && now >= f.idleHoldUntil) return 'idle-hold';
  if (f.holdAt !== undefined && now >= f.holdAt) return 'hold';
  if (f.keepaliveAt !== undefined && now >= f.keepaliveAt) return 'keepalive';
  if (f.connectRetryAt !== undefined && now >= f.connectRetryAt) return 'connect-retry';
  return undefined;
}

function onTick(cfg: FsmConfig, f: Fsm, now: number): StepResult {
  const t = expired(f, now);
  switch (t) {
    case undefined:
      return { fsm: f, actions: [] };
    case 'idle-hold':
      return f.running && f.state === 'Idle' ? begin(cfg, f, now) : { fsm: { ...f, idleHoldUntil: undefined }, actions: [] };
    case 'hold':
      // RFC 4271 8.2.2, HoldTimer_Expires: NOTIFICATION Hold Timer Expired, then Idle.
      return fail(cfg, f, now, 'hold-timer-expired', [{ type: 'send-notification', code: NOTIFY.holdTimerExpired, subcode: 0 }]);
    case 'keepalive': {
      const hold = f.negotiatedHoldTime ?? 0;
      return {
        fsm: { ...f, keepaliveAt: hold > 0 ? now + keepaliveInterval(hold) : undefined },
        actions: [{ type: 'send-keepalive' }],
      };
    }
    case 'connect-retry':
      // RFC 4271 8.2.2 Connect/Active: drop the attempt, dial again, restart the timer.
      return {
        fsm: { ...f, state: 'Connect', connectRetryAt: now + s(cfg.connectRetrySeconds) },
        actions: f.state === 'Connect' ? [{ type: 'close' }, { type: 'connect' }] : [{ type: 'connect' }],
      };
    default:
      return assertNever(t, 'timer');
  }
}

/** 1 s after the first refusal, doubling up to ConnectRetryTime. */
function quickRetryMs(cfg: FsmConfig, refused: number): number {
  return Math.min(s(cfg.connectRetrySeconds), 1000 * 2 ** (refused - 1));
}

/** KeepaliveTime is one third of the negotiated hold time (RFC 4271 10), at least one second. */
export function keepaliveInterval(holdTimeSeconds: number): number {
  return Math.max(1000, Math.floor((holdTimeSeconds * 1000) / 3));
}

export function step(cfg: FsmConfig, f: Fsm, ev: FsmEvent, now: number): StepResult {
  // Idle has no connection: messages still in flight from one we closed are not errors (each
  // would otherwise count as another flap and double the IdleHoldTime).
  if (f.state === 'Idle' && ev.type !== 'start' && ev.type !== 'stop' && ev.type !== 'tick') return { fsm: f, actions: [] };
  switch (ev.type) {
    case 'start':
      if (f.running && f.state !== 'Idle') return { fsm: f, actions: [] };
      return f.idleHoldUntil !== undefined && now < f.idleHoldUntil
        ? { fsm: { ...f, running: true }, actions: [] }
        : begin(cfg, { ...f, running: true }, now);
    case 'stop': {
      const stopped: Fsm = { ...f, running: false };
      if (f.state === 'Idle') return { fsm: { ...stopped, idleHoldUntil: undefined }, actions: [] };
      const actions: FsmAction[] = [];
      // Cease/Administrative Shutdown only once the peer has our OPEN (RFC 4486).
      if (f.state === 'OpenSent' || f.state === 'OpenConfirm' || f.state === 'Established') {
        actions.push({ type: 'send-notification', code: NOTIFY.cease, subcode: NOTIFY.ceaseAdminShutdown });
      }
      actions.push({ type: 'close' });
      if (f.state === 'Established') actions.push({ type: 'down', reason: 'stopped', graceful: false });
      return { fsm: { ...stopped, state: 'Idle', ...NO_TIMERS, idleHoldUntil: undefined }, actions };
    }
    case 'tick':
      return onTick(cfg, f, now);
    case 'tcp-connected':
    case 'tcp-accepted':
      if (f.state === 'Connect' || f.state === 'Active') return connected(cfg, f, now);
      // A second connection while one is in progress is the session layer's collision to
      // resolve; the FSM of an established connection never adopts another transport.
      return { fsm: f, actions: [{ type: 'close' }] };
    case 'tcp-failed':
      if (f.state === 'Connect') {
        // RFC 4271 8.2.2 Connect, event 18: restart ConnectRetryTimer and move to Active. The
        // timer restarts shorter here: a dial that fails at once (refused) means the peer's host
        // is up and its BGP speaker is not listening yet, as when a node's agent (re)starts. In a
        // node mesh only one side dials, so the full ConnectRetryTime would hold the session down
        // that long; 1 s, doubling up to ConnectRetryTime, brings it up within a second of the
        // peer listening for the price of a SYN and a RST now and then.
        const refused = (f.refusedDials ?? 0) + 1;
        return { fsm: { ...f, state: 'Active', refusedDials: refused, connectRetryAt: now + quickRetryMs(cfg, refused) }, actions: [] };
      }
      if (f.state === 'Idle' || f.state === 'Active') return { fsm: f, actions: [] };
      return fail(cfg, f, now, 'connection-closed', []);
    case 'tcp-closed':
      if (f.state === 'Idle') return { fsm: f, actions: [] };
      if (f.state === 'OpenSent') {
        // RFC 4271 8.2.2 OpenSent, event 17: close, restart ConnectRetryTimer, go to Active. The
        // peer closed before its OPEN: its speaker is up but refuses us for now (a restarted
        // node's peer waits out its IdleHoldTime after the TCP loss), so this is retried like a
        // refused dial, not after the full ConnectRetryTime.
        const refused = (f.refusedDials ?? 0) + 1;
        return {
          fsm: { ...f, state: 'Active', ...NO_TIMERS, refusedDials: refused, connectRetryAt: cfg.passive ? undefined : now + quickRetryMs(cfg, refused) },
          actions: [{ type: 'close' }],
        };
      }
      if (f.state === 'Connect' || f.state === 'Active') return { fsm: f, actions: [] };
      return fail(cfg, f, now, 'connection-closed', []);
    case 'open-received': {
      // The OPEN was checked against our configuration before it got here (wire/validate.ts
      // validateOpen: peer AS, hold time 1-2 s, identifier); a bad one arrives as message-error.
      if (f.state !== 'OpenSent') return unexpected(cfg, f, now);
      const hold = Math.min(cfg.holdTime, ev.open.holdTime);
      return {
        fsm: {
          ...f,
          state: 'OpenConfirm',
          ...NO_TIMERS,
          // The peer speaks to us: quick retries start over.
          refusedDials: undefined,
          negotiatedHoldTime: hold,
          peer: ev.open,
          holdAt: hold > 0 ? now + s(hold) : undefined,
          keepaliveAt: hold > 0 ? now + keepaliveInterval(hold) : undefined,
        },
        actions: [{ type: 'send-keepalive' }],
      };
    }
    case 'keepalive-received':
      if (f.state === 'OpenConfirm') {
        const hold = f.negotiatedHoldTime ?? 0;
        const peer = f.peer;
        if (peer === undefined) return unexpected(cfg, f, now);
        return {
          fsm: { ...f, state: 'Established', establishedAt: now, holdAt: hold > 0 ? now + s(hold) : undefined },
          actions: [{ type: 'established', holdTime: hold, peer }],
        };
      }
      if (f.state === 'Established') return { fsm: restartHold(f, now), actions: [] };
      return unexpected(cfg, f, now);
    case 'update-received':
    case 'route-refresh-received':
      if (f.state === 'Established') return { fsm: restartHold(f, now), actions: [] };
      return unexpected(cfg, f, now);
    case 'notification-received':
      if (f.state === 'Idle') return { fsm: f, actions: [] };
      return fail(cfg, f, now, 'notification-received', []);
    case 'message-error':
      if (f.state === 'Idle') return { fsm: f, actions: [] };
      return notifyAndFail(cfg, f, now, ev.code, ev.subcode, ev.data);
    default:
      return assertNever(ev, 'FSM event');
  }
}

function restartHold(f: Fsm, now: number): Fsm {
  const hold = f.negotiatedHoldTime ?? 0;
  return hold > 0 ? { ...f, holdAt: now + s(hold) } : f;
}

/** A message the state does not expect: FSM Error with the RFC 6608 subcode for the state. */
function unexpected(cfg: FsmConfig, f: Fsm, now: number): StepResult {
  if (f.state === 'Idle' || f.state === 'Connect' || f.state === 'Active') {
    // No OPEN exchanged yet: no NOTIFICATION (SendNOTIFICATIONwithoutOPEN is off), just drop it.
    return fail(cfg, f, now, 'connection-closed', []);
  }
  return notifyAndFail(cfg, f, now, NOTIFY.fsmError, unexpectedSubcode(f.state));
}

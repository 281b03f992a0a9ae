import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bgpIdToNumber, bgpIdToString, resolveCollision } from '../../../src/bgp/fsm/collision.js';
import {
  initialFsm,
  keepaliveInterval,
  nextDeadline,
  step,
  type Fsm,
  type FsmAction,
  type FsmConfig,
  type FsmEvent,
  type OpenParams,
} from '../../../src/bgp/fsm/fsm.js';

const cfg: FsmConfig = {
  holdTime: 90,
  passive: false,
  connectRetrySeconds: 5,
  idleHoldSeconds: 1,
  idleHoldMaxSeconds: 8,
  stableSeconds: 60,
};
const peerOpen: OpenParams = { asn: 65000, holdTime: 30, bgpId: bgpIdToNumber('192.0.2.2') };

/** Run events in order at the given times; collect every action. */
function run(events: [number, FsmEvent][], c: FsmConfig = cfg, from: Fsm = initialFsm(c)) {
  let f = from;
  const actions: FsmAction[] = [];
  for (const [now, ev] of events) {
    const r = step(c, f, ev, now);
    f = r.fsm;
    actions.push(...r.actions);
  }
  return { f, actions, types: actions.map((a) => a.type) };
}

const toEstablished: [number, FsmEvent][] = [
  [0, { type: 'start' }],
  [10, { type: 'tcp-connected' }],
  [20, { type: 'open-received', open: peerOpen }],
  [30, { type: 'keepalive-received' }],
];

describe('BGP FSM', () => {
  it('goes Idle -> Connect -> OpenSent -> OpenConfirm -> Established, negotiating the hold time', () => {
    const r = run(toEstablished);
    expect(r.f.state).toBe('Established');
    expect(r.types).toEqual(['connect', 'send-open', 'send-keepalive', 'established']);
    expect(r.actions[1]).toEqual({ type: 'send-open', holdTime: 90 });
    expect(r.actions[3]).toEqual({ type: 'established', holdTime: 30, peer: peerOpen });
    expect(r.f.negotiatedHoldTime).toBe(30);
    expect(r.f.holdAt).toBe(30 + 30_000);
    expect(r.f.keepaliveAt).toBe(20 + 10_000);
  });

  it('sends keepalives every hold/3 and resets the hold timer on any message', () => {
    let r = run(toEstablished);
    let out = step(cfg, r.f, { type: 'tick' }, 10_020);
    expect(out.actions).toEqual([{ type: 'send-keepalive' }]);
    expect(out.fsm.keepaliveAt).toBe(20_020);
    out = step(cfg, out.fsm, { type: 'update-received' }, 15_000);
    expect(out.fsm.holdAt).toBe(45_000);
    r = { ...r, f: out.fsm };
    // Nothing due before the next deadline.
    expect(step(cfg, r.f, { type: 'tick' }, 15_001).actions).toEqual([]);
    expect(nextDeadline(r.f)).toBe(20_020);
  });

  it('expires the hold timer: NOTIFICATION 4, close, down (not graceful), Idle', () => {
    const r = run(toEstablished);
    const out = step(cfg, r.f, { type: 'tick' }, r.f.holdAt ?? 0);
    expect(out.fsm.state).toBe('Idle');
    expect(out.actions).toEqual([
      { type: 'send-notification', code: 4, subcode: 0 },
      { type: 'close' },
      { type: 'down', reason: 'hold-timer-expired', graceful: false },
    ]);
  });

  it('uses no timers when the negotiated hold time is 0', () => {
    const r = run([
      [0, { type: 'start' }],
      [1, { type: 'tcp-connected' }],
      [2, { type: 'open-received', open: { ...peerOpen, holdTime: 0 } }],
      [3, { type: 'keepalive-received' }],
    ]);
    expect(r.f.state).toBe('Established');
    expect(nextDeadline(r.f)).toBeUndefined();
  });

  it('sends the NOTIFICATION for an OPEN the session found invalid (2/2 Bad Peer AS)', () => {
    const r = run([
      [0, { type: 'start' }],
      [1, { type: 'tcp-connected' }],
      [2, { type: 'message-error', code: 2, subcode: 2, data: new Uint8Array([0xfd, 0xe9]) }],
    ]);
    expect(r.f.state).toBe('Idle');
    expect(r.actions.slice(-2)).toEqual([{ type: 'send-notification', code: 2, subcode: 2, data: new Uint8Array([0xfd, 0xe9]) }, { type: 'close' }]);
  });

  it('answers unexpected messages with FSM Error subcodes (RFC 6608)', () => {
    const inOpenSent = run([[0, { type: 'start' }], [1, { type: 'tcp-connected' }], [2, { type: 'update-received' }]]);
    expect(inOpenSent.actions).toContainEqual({ type: 'send-notification', code: 5, subcode: 1 });
    const inOpenConfirm = run([...toEstablished.slice(0, 3), [3, { type: 'update-received' }]]);
    expect(inOpenConfirm.actions).toContainEqual({ type: 'send-notification', code: 5, subcode: 2 });
    const inEstablished = run([...toEstablished, [40, { type: 'open-received', open: peerOpen }]]);
    expect(inEstablished.actions).toContainEqual({ type: 'send-notification', code: 5, subcode: 3 });
  });

  it('sends the decoder error as NOTIFICATION with its data', () => {
    const data = new Uint8Array([0, 19]);
    const r = run([...toEstablished, [40, { type: 'message-error', code: 1, subcode: 2, data }]]);
    expect(r.actions.slice(-3)).toEqual([
      { type: 'send-notification', code: 1, subcode: 2, data },
      { type: 'close' },
      { type: 'down', reason: 'notification-sent', graceful: false },
    ]);
  });

  it('a received NOTIFICATION ends the session without graceful restart', () => {
    const r = run([...toEstablished, [40, { type: 'notification-received', code: 6, subcode: 2 }]]);
    expect(r.actions.slice(-2)).toEqual([{ type: 'close' }, { type: 'down', reason: 'notification-received', graceful: false }]);
  });

  it('TCP loss in Established is graceful', () => {
    const r = run([...toEstablished, [40, { type: 'tcp-closed' }]]);
    expect(r.actions.slice(-1)).toEqual([{ type: 'down', reason: 'connection-closed', graceful: true }]);
  });

  it('retries a refused connect after 1 s, doubling up to ConnectRetryTime, and starts over once the peer sends OPEN', () => {
    const r = run([
      [0, { type: 'start' }],
      [100, { type: 'tcp-failed' }],
    ]);
    expect(r.f.state).toBe('Active');
    expect(r.f.connectRetryAt).toBe(1100);
    const out = step(cfg, r.f, { type: 'tick' }, 1100);
    expect(out.fsm.state).toBe('Connect');
    expect(out.actions).toEqual([{ type: 'connect' }]);
    // Refused again and again: 2 s, 4 s, then ConnectRetryTime (5 s) from then on.
    let f = out.fsm;
    let t = 1100;
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      f = step(cfg, f, { type: 'tcp-failed' }, t).fsm;
      waits.push((f.connectRetryAt ?? 0) - t);
      t = f.connectRetryAt ?? 0;
      f = step(cfg, f, { type: 'tick' }, t).fsm;
    }
    expect(waits).toEqual([2000, 4000, 5000, 5000]);
    // A connection alone does not reset the backoff (the peer may still close it); its OPEN does.
    f = step(cfg, f, { type: 'tcp-connected' }, t).fsm;
    expect(f.refusedDials).toBe(5);
    f = step(cfg, f, { type: 'open-received', open: peerOpen }, t + 1).fsm;
    expect(f.refusedDials).toBeUndefined();
  });

  it('retries a connection the peer closes before its OPEN like a refused dial (the peer waits out its IdleHoldTime)', () => {
    let f = run([
      [0, { type: 'start' }],
      [10, { type: 'tcp-connected' }],
    ]).f;
    let t = 10;
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      const closed = step(cfg, f, { type: 'tcp-closed' }, t);
      expect(closed.fsm.state).toBe('Active');
      expect(closed.actions).toEqual([{ type: 'close' }]);
      waits.push((closed.fsm.connectRetryAt ?? 0) - t);
      t = closed.fsm.connectRetryAt ?? 0;
      f = run([
        [t, { type: 'tick' }],
        [t + 5, { type: 'tcp-connected' }],
      ], cfg, closed.fsm).f;
      t += 5;
    }
    expect(waits).toEqual([1000, 2000, 4000, 5000]);
    // A passive FSM never dials: no retry timer at all.
    const passive = { ...cfg, passive: true };
    const p = run([[0, { type: 'start' }], [1, { type: 'tcp-accepted' }], [2, { type: 'tcp-closed' }]], passive);
    expect(p.f.state).toBe('Active');
    expect(nextDeadline(p.f)).toBeUndefined();
  });

  it('a passive peer never dials and waits in Active for the peer', () => {
    const passive = { ...cfg, passive: true };
    const r = run([[0, { type: 'start' }], [999_999, { type: 'tick' }]], passive);
    expect(r.f.state).toBe('Active');
    expect(r.types).not.toContain('connect');
    expect(nextDeadline(r.f)).toBeUndefined();
    const acc = step(passive, r.f, { type: 'tcp-accepted' }, 1_000_000);
    expect(acc.fsm.state).toBe('OpenSent');
  });

  it('backs off exponentially on a flapping peer, capped, and forgives a stable session', () => {
    let r = run(toEstablished);
    const idleHolds: number[] = [];
    let now = 100;
    for (let i = 0; i < 6; i++) {
      const down = step(cfg, r.f, { type: 'tcp-closed' }, now);
      idleHolds.push((down.fsm.idleHoldUntil ?? 0) - now);
      now = down.fsm.idleHoldUntil ?? 0;
      const again = run(
        [
          [now, { type: 'tick' }],
          [now + 1, { type: 'tcp-connected' }],
          [now + 2, { type: 'open-received', open: peerOpen }],
          [now + 3, { type: 'keepalive-received' }],
        ],
        cfg,
        down.fsm,
      );
      expect(again.f.state).toBe('Established');
      r = again;
      now += 10;
    }
    expect(idleHolds).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
    // Established for longer than stableSeconds: the next flap waits the first IdleHoldTime again.
    const later = step(cfg, r.f, { type: 'keepalive-received' }, now + 59_000);
    const down = step(cfg, later.fsm, { type: 'tcp-closed' }, now + 61_000);
    expect((down.fsm.idleHoldUntil ?? 0) - (now + 61_000)).toBe(1000);
  });

  it('a manual stop sends Cease/Administrative Shutdown and does not restart', () => {
    const r = run([...toEstablished, [50, { type: 'stop' }], [999_999, { type: 'tick' }]]);
    expect(r.f.state).toBe('Idle');
    expect(r.actions.slice(-3)).toEqual([
      { type: 'send-notification', code: 6, subcode: 2 },
      { type: 'close' },
      { type: 'down', reason: 'stopped', graceful: false },
    ]);
    expect(nextDeadline(r.f)).toBeUndefined();
  });

  it('keepalive interval is a third of the hold time, at least a second', () => {
    expect(keepaliveInterval(90)).toBe(30_000);
    expect(keepaliveInterval(3)).toBe(1000);
    expect(keepaliveInterval(10)).toBe(3333);
  });
});

describe('FSM properties', () => {
  const open = fc.record({ asn: fc.constantFrom(65000, 65001), holdTime: fc.constantFrom(0, 2, 3, 30, 240), bgpId: fc.constantFrom(0, 1, bgpIdToNumber('192.0.2.1')) });
  const event: fc.Arbitrary<FsmEvent> = fc.oneof(
    fc.constant({ type: 'start' } as const),
    fc.constant({ type: 'stop' } as const),
    fc.constant({ type: 'tick' } as const),
    fc.constant({ type: 'tcp-connected' } as const),
    fc.constant({ type: 'tcp-accepted' } as const),
    fc.constant({ type: 'tcp-failed' } as const),
    fc.constant({ type: 'tcp-closed' } as const),
    open.map((o) => ({ type: 'open-received', open: o }) as const),
    fc.constant({ type: 'keepalive-received' } as const),
    fc.constant({ type: 'update-received' } as const),
    fc.constant({ type: 'notification-received', code: 6, subcode: 4 } as const),
    fc.constant({ type: 'message-error', code: 3, subcode: 1 } as const),
  );

  it('never throws, and keeps its invariants, for any event sequence', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.array(fc.tuple(fc.nat(120_000), event), { maxLength: 60 }), (passive, evs) => {
        const c = { ...cfg, passive };
        let f = initialFsm(c);
        let now = 0;
        let established = false;
        for (const [dt, ev] of evs) {
          now += dt;
          const r = step(c, f, ev, now);
          for (const a of r.actions) {
            if (a.type === 'connect') expect(passive).toBe(false);
            if (a.type === 'established') established = true;
            if (a.type === 'down') {
              expect(established).toBe(true);
              established = false;
            }
          }
          f = r.fsm;
          expect(established).toBe(f.state === 'Established');
          if (f.state === 'Established') expect(f.peer).toBeDefined();
          if (f.state === 'Idle') {
            expect(f.holdAt).toBeUndefined();
            expect(f.keepaliveAt).toBeUndefined();
          }
          if (!f.running) expect(f.idleHoldUntil).toBeUndefined();
          expect(f.idleHoldSeconds).toBeLessThanOrEqual(c.idleHoldMaxSeconds);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('collision and identifiers', () => {
  it('keeps the connection initiated by the higher BGP identifier', () => {
    expect(resolveCollision({ localBgpId: bgpIdToNumber('10.0.0.2'), remoteBgpId: bgpIdToNumber('10.0.0.1') })).toBe('outbound');
    expect(resolveCollision({ localBgpId: bgpIdToNumber('10.0.0.1'), remoteBgpId: bgpIdToNumber('10.0.0.2') })).toBe('inbound');
    // Compared as unsigned: 200.x is above 10.x.
    expect(resolveCollision({ localBgpId: bgpIdToNumber('200.0.0.1'), remoteBgpId: bgpIdToNumber('10.0.0.1') })).toBe('outbound');
  });
  it('converts identifiers both ways', () => {
    expect(bgpIdToNumber('255.255.255.255')).toBe(4294967295);
    expect(bgpIdToString(bgpIdToNumber('192.0.2.254'))).toBe('192.0.2.254');
    expect(() => bgpIdToNumber('1.2.3')).toThrow(/dotted quad/);
  });
});

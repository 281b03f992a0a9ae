// One Session against scripted peers over loopback: flap damping that holds for connections the
// peer makes (RFC 4271 8.1.1 across connections, not per connection), and the session's record
// of its last failure (named NOTIFICATIONs, hold timer expiry, TCP connect failures).

import { connect, createServer, type Server, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Session, type SessionConfig } from '../../src/bgp/session/session.js';
import { AFI_IPV4, SAFI_UNICAST } from '../../src/bgp/wire/index.js';
import { sleep, waitFor } from '../harness/wait.js';
import { FakePeer } from './fake-peer.js';

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

const IPV4 = [{ afi: AFI_IPV4, safi: SAFI_UNICAST }];

/** A session for `peer` at `me`, and a listener on `me` that hands it the peer's connections. */
async function session(me: string, peer: string, extra: Partial<SessionConfig> = {}, connectFn?: () => Socket): Promise<{ s: Session; port: number }> {
  const s = new Session(
    { local: { asn: 64512, routerId: me, holdTime: 90, families: IPV4 }, peerAddress: peer, peerAsn: 64512, peerPort: 179, passive: true, localAddress: me, ...extra },
    { established: () => undefined, message: () => undefined, down: () => undefined, log: () => undefined },
    { now: () => Date.now(), ...(connectFn !== undefined ? { connect: connectFn } : {}) },
  );
  const server: Server = createServer((socket) => s.acceptInbound(socket));
  await new Promise<void>((resolve) => server.listen(0, me, resolve));
  const a = server.address();
  cleanup.push(() => {
    s.destroy();
    server.close();
  });
  s.start();
  return { s, port: typeof a === 'object' && a !== null ? a.port : 0 };
}

/**
 * Dial the session and break what it accepts with a header of zeros (Message Header Error: it
 * sends a NOTIFICATION and resets). Resolves with when its OPEN arrived, or undefined when it
 * closed the connection without a word (refused).
 */
function dialAndBreak(host: string, port: number, localAddress: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const c = connect({ host, port, localAddress });
    let openAt: number | undefined;
    c.on('data', () => {
      if (openAt !== undefined) return;
      openAt = Date.now();
      c.write(Buffer.alloc(19));
    });
    c.on('error', () => undefined);
    c.on('close', () => resolve(openAt));
  });
}

/** Accepted connections of a peer that redials at once after every reset, until `count` were taken. */
async function acceptTimes(host: string, port: number, localAddress: string, count: number): Promise<{ accepted: number[]; refused: number }> {
  const accepted: number[] = [];
  let refused = 0;
  const deadline = Date.now() + 10_000;
  while (accepted.length < count && Date.now() < deadline) {
    const at = await dialAndBreak(host, port, localAddress);
    if (at === undefined) refused++;
    else accepted.push(at);
    await sleep(5);
  }
  return { accepted, refused };
}

const BASE_S = 0.1;

/** The IdleHoldTime doubles per flap: 100, 200, 400, 800 ms between the connections taken. */
function expectDoublingGaps(accepted: readonly number[]): void {
  const gaps = accepted.slice(1).map((t, i) => t - (accepted[i] ?? t));
  expect(gaps, `gaps ${gaps.join(', ')} ms`).toHaveLength(4);
  gaps.forEach((gap, i) => {
    const hold = BASE_S * 1000 * 2 ** i;
    expect(gap, `gap ${i + 1}: ${gaps.join(', ')} ms`).toBeGreaterThanOrEqual(hold - 5);
    expect(gap, `gap ${i + 1}: ${gaps.join(', ')} ms`).toBeLessThan(hold + 250);
  });
}

describe('session flap damping', () => {
  it('refuses a passive peer that dials in while the IdleHoldTime runs, and keeps doubling it across connections', async () => {
    const { s, port } = await session('127.0.40.1', '127.0.40.2', { idleHoldSeconds: BASE_S, idleHoldMaxSeconds: 10 });
    const { accepted, refused } = await acceptTimes('127.0.40.1', port, '127.0.40.2', 5);
    expectDoublingGaps(accepted);
    expect(refused).toBeGreaterThan(0);
    // Named, kept after the session left Established-or-not, and stamped.
    expect(s.lastError?.text).toBe('sent NOTIFICATION 1/1 (Message Header Error / Connection Not Synchronized)');
    expect(s.lastError?.at).toBeGreaterThanOrEqual(accepted[4] ?? Infinity);
  });

  it('does the same for an active session, whose dial back after an inbound connection fails keeps the back-off', async () => {
    // Every dial is refused at once: the session sits in Active and takes the peer's connections.
    const refusedDial = () => {
      const sock = new Socket();
      process.nextTick(() => sock.destroy(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })));
      return sock;
    };
    const { port } = await session('127.0.41.1', '127.0.41.2', { passive: false, connectRetrySeconds: 1, idleHoldSeconds: BASE_S, idleHoldMaxSeconds: 10 }, refusedDial);
    const { accepted, refused } = await acceptTimes('127.0.41.1', port, '127.0.41.2', 5);
    expectDoublingGaps(accepted);
    expect(refused).toBeGreaterThan(0);
  });
});

describe('session last error', () => {
  it('records a failed TCP connect, with the target and the reason', async () => {
    // A port nobody listens on: the kernel refuses the dial.
    const closed = await new Promise<number>((resolve) => {
      const srv = createServer();
      srv.listen(0, '127.0.42.2', () => {
        const a = srv.address();
        srv.close(() => resolve(typeof a === 'object' && a !== null ? a.port : 0));
      });
    });
    const t0 = Date.now();
    const { s } = await session('127.0.42.1', '127.0.42.2', { passive: false, peerPort: closed });
    const e = await waitFor(() => s.lastError, { timeoutMs: 5000, what: 'the failed connect to be recorded' });
    expect(e.text).toBe(`TCP connect to 127.0.42.2:${closed} failed: ECONNREFUSED`);
    expect(e.at).toBeGreaterThanOrEqual(t0);
    expect(s.state).not.toBe('Established');
  });

  it('records a hold timer expiry by name, and keeps it once the session is back', async () => {
    const { s, port } = await session('127.0.43.1', '127.0.43.2', { idleHoldSeconds: BASE_S });
    const local = { asn: 64512, routerId: '127.0.43.2', holdTime: 3, families: IPV4 };
    const first = await FakePeer.dial({ host: '127.0.43.1', port, localAddress: '127.0.43.2' });
    await first.establish(local);
    await waitFor(() => s.state === 'Established', { timeoutMs: 2000, what: 'Established' });
    // Silence: no KEEPALIVE for the 3 s hold time.
    const n = await first.nth('notification', 1, 6000);
    expect(n).toMatchObject({ code: 4, subcode: 0 });
    expect(s.lastError?.text).toBe('hold timer expired: sent NOTIFICATION 4/0 (Hold Timer Expired / Unspecific)');
    const at = s.lastError?.at;

    const second = await waitFor(
      async () => {
        const p = await FakePeer.dial({ host: '127.0.43.1', port, localAddress: '127.0.43.2' });
        await sleep(50);
        if (!p.closed) return p;
        return undefined;
      },
      { timeoutMs: 5000, what: 'the session to take a new connection' },
    );
    cleanup.push(() => second.destroy());
    await second.establish(local);
    await waitFor(() => s.state === 'Established', { timeoutMs: 2000, what: 'Established again' });
    expect(s.lastError).toEqual({ text: 'hold timer expired: sent NOTIFICATION 4/0 (Hold Timer Expired / Unspecific)', at });
  }, 15_000);
});

// Our speaker as graceful-restart helper (RFC 4724 4.2) over loopback, against scripted peers
// (FakePeer) and our own speaker as the restarting one:
// - a restarted peer that connects while its old session still looks Established ends that
//   session gracefully (routes kept stale) instead of being refused until the hold timer fires;
// - once the peer is back its restart timer stops: stale routes wait for End-of-RIB, for at most
//   the stale-path time, and a real failure meanwhile ends the graceful restart.

import { afterEach, describe, expect, it } from 'vitest';
import { buildOpen, type LocalOpenConfig } from '../../src/bgp/session/negotiate.js';
import { AFI_IPV4, endOfRib, endOfRibFamily, parsePrefix, SAFI_UNICAST } from '../../src/bgp/wire/index.js';
import { sleep, waitFor } from '../harness/wait.js';
import { FakePeer } from './fake-peer.js';
import { best, freePort, node, peer, stopAll, type Node } from './loopback.js';

const fakes: FakePeer[] = [];
afterEach(async () => {
  for (const f of fakes.splice(0)) f.destroy();
  await stopAll();
});

const IPV4_UNICAST = { afi: AFI_IPV4, safi: SAFI_UNICAST };
const IPV4 = [IPV4_UNICAST];

function grOpen(routerId: string, o: { restartTime: number; restarting: boolean }): LocalOpenConfig {
  return {
    asn: 64512,
    routerId,
    holdTime: 90,
    families: IPV4,
    gracefulRestart: { restartTime: o.restartTime, restarting: o.restarting, forwardingPreserved: o.restarting ? IPV4 : [] },
  };
}

/** Dial `a` from `from` until it takes the connection (it refuses while idle), then establish. */
async function fakeSession(a: Node, from: string, open: LocalOpenConfig): Promise<FakePeer> {
  const p = await waitFor(
    async () => {
      const c = await FakePeer.dial({ host: a.addr, port: a.port, localAddress: from });
      fakes.push(c);
      await sleep(50);
      return c.closed ? undefined : c;
    },
    { timeoutMs: 10_000, intervalMs: 50, what: `${a.addr} to take a connection from ${from}` },
  );
  await p.establish(open);
  await waitFor(() => a.speaker.status()[0]?.state === 'Established', { timeoutMs: 5000, what: `${a.addr} to establish with ${from}` });
  return p;
}

function announce(p: FakePeer, nextHop: string, prefixes: readonly string[]): void {
  p.send({ type: 'update', withdrawn: [], attributes: { origin: 'igp', asPath: [], nextHop, localPref: 100 }, nlri: prefixes.map((x) => parsePrefix(x)) });
}

const eor = (p: FakePeer) => p.send(endOfRib(IPV4_UNICAST));

/** Every Loc-RIB change of a's for `prefix`: was it ever withdrawn (gone, if only for a moment)? */
function watch(a: Node, prefix: string): { withdrawn: () => boolean } {
  let withdrawn = false;
  a.speaker.onRoutes((_afi, changes) => {
    for (const c of changes) if (c.prefix === prefix && c.now === undefined) withdrawn = true;
  });
  return { withdrawn: () => withdrawn };
}

describe('graceful restart helper', () => {
  it('takes a restarted peer connection while the old session is still Established, keeping its routes stale until End-of-RIB', async () => {
    const logs: string[] = [];
    const a = await node('127.0.50.1', 64512, {}, { log: (_level, msg) => logs.push(msg) });
    const bAddr = '127.0.50.2';
    const bPort = await freePort(bAddr);
    a.speaker.setPeers([peer({ addr: bAddr, port: bPort }, 64512, a, { passive: true, gracefulRestart: { restartTime: 30 } })]);

    // The peer before its restart: announces two prefixes, then dies without its TCP connection
    // closing (a crashed host, a frozen process): a never hears of it and stays Established.
    const old = await fakeSession(a, bAddr, grOpen(bAddr, { restartTime: 30, restarting: false }));
    announce(old, bAddr, ['10.244.60.0/24', '10.244.61.0/24']);
    eor(old);
    await waitFor(() => best(a, '10.244.61.0/24') && best(a, '10.244.60.0/24'), { timeoutMs: 5000, what: 'a to learn both prefixes' });
    const kept = watch(a, '10.244.60.0/24');

    // The peer back, as our own restarting speaker, announcing only one of them.
    const b = await node(bAddr, 64512, { listenPort: bPort, restarting: true });
    b.speaker.originate('10.244.60.0/24');
    b.speaker.setPeers([peer(a, 64512, b, { gracefulRestart: { restartTime: 30 } })]);
    await waitFor(() => best(a, '10.244.61.0/24') === undefined, { timeoutMs: 8000, what: "b's End-of-RIB to flush the prefix it did not announce again" });

    // Kept as stale meanwhile (not dropped and re-learned), and fresh again from b's session.
    expect(logs).toContain('peer restarting gracefully: keeping its routes as stale');
    expect(kept.withdrawn(), 'the re-announced prefix left the Loc-RIB').toBe(false);
    expect(best(a, '10.244.60.0/24')?.best.stale).toBe(false);
    // The old connection was closed without a NOTIFICATION: a graceful end, not an error.
    expect(old.closed).toBe(true);
    expect(old.received.filter((m) => m.type === 'notification')).toEqual([]);
    expect(a.speaker.status()[0]).toMatchObject({
      state: 'Established',
      gracefulRestart: 'negotiated',
      lastError: 'peer restarted while Established (graceful restart): old session closed',
    });
  });

  it('ends nothing on a bare connection, nor on an OPEN without graceful restart, from an established graceful-restart peer', async () => {
    const a = await node('127.0.52.1', 64512);
    const bAddr = '127.0.52.2';
    a.speaker.setPeers([peer({ addr: bAddr, port: 179 }, 64512, a, { passive: true })]);
    const first = await fakeSession(a, bAddr, grOpen(bAddr, { restartTime: 30, restarting: false }));
    announce(first, bAddr, ['10.244.64.0/24']);
    eor(first);
    await waitFor(() => best(a, '10.244.64.0/24'), { timeoutMs: 5000, what: 'a to learn the prefix' });

    // A connection from the peer's address that never sends an OPEN (a probe, a spoofed
    // handshake): the session stays, its routes fresh.
    const probe = await FakePeer.dial({ host: a.addr, port: a.port, localAddress: bAddr });
    fakes.push(probe);
    await sleep(300);
    expect(first.closed).toBe(false);
    expect(a.speaker.status()[0]?.gracefulRestart).toBe('negotiated');
    expect(best(a, '10.244.64.0/24')?.best.stale).toBe(false);
    probe.destroy();
    await sleep(200);

    // An OPEN without graceful restart on a new connection: a collision the established session wins.
    const plain = await FakePeer.dial({ host: a.addr, port: a.port, localAddress: bAddr });
    fakes.push(plain);
    plain.send(buildOpen({ asn: 64512, routerId: bAddr, holdTime: 90, families: IPV4 }));
    await waitFor(() => plain.closed, { timeoutMs: 5000, what: 'the new connection to be refused' });
    expect(plain.received.find((m) => m.type === 'notification')).toMatchObject({ code: 6, subcode: 7 });
    expect(first.closed).toBe(false);
    expect(a.speaker.status()[0]?.state).toBe('Established');
    expect(best(a, '10.244.64.0/24')?.best.stale).toBe(false);
  });

  it('stops the restart timer once the peer is back: its stale routes wait for End-of-RIB past the restart time', async () => {
    const a = await node('127.0.51.1', 64512);
    const bAddr = '127.0.51.2';
    a.speaker.setPeers([peer({ addr: bAddr, port: 179 }, 64512, a, { passive: true })]);
    const first = await fakeSession(a, bAddr, grOpen(bAddr, { restartTime: 2, restarting: false }));
    announce(first, bAddr, ['10.244.62.0/24', '10.244.63.0/24']);
    eor(first);
    await waitFor(() => best(a, '10.244.63.0/24') && best(a, '10.244.62.0/24'), { timeoutMs: 5000, what: 'a to learn both prefixes' });

    // TCP loss: the 2 s restart timer starts. The peer is back within it (after a's 1 s
    // IdleHoldTime), but holds its End-of-RIB back past the 2 s.
    const t0 = Date.now();
    first.destroy();
    await waitFor(() => a.speaker.status()[0]?.gracefulRestart === 'peer-restarting', { timeoutMs: 2000, what: 'a to keep the routes stale' });
    const second = await fakeSession(a, bAddr, grOpen(bAddr, { restartTime: 2, restarting: true }));
    await sleep(Math.max(0, t0 + 2500 - Date.now()));
    expect(best(a, '10.244.62.0/24')?.best.stale).toBe(true);
    expect(best(a, '10.244.63.0/24')?.best.stale).toBe(true);
    const st = a.speaker.status()[0];
    expect(st?.gracefulRestart).toBe('peer-restarting');
    // The last error survives the re-establishment, with its time.
    expect(st?.lastError).toBe('TCP connection lost (closed without NOTIFICATION)');
    expect(st?.lastErrorAt).toBeGreaterThanOrEqual(t0);
    expect(st?.lastErrorAt).toBeLessThan(t0 + 1000);

    announce(second, bAddr, ['10.244.62.0/24']);
    eor(second);
    await waitFor(() => best(a, '10.244.63.0/24') === undefined, { timeoutMs: 5000, what: 'End-of-RIB to flush the prefix not announced again' });
    expect(best(a, '10.244.62.0/24')?.best.stale).toBe(false);
    expect(a.speaker.status()[0]?.gracefulRestart).toBe('negotiated');
  });

  it('flushes stale routes after the stale-path time when End-of-RIB never comes', async () => {
    const a = await node('127.0.52.1', 64512, { stalePathSeconds: 0.5 });
    const bAddr = '127.0.52.2';
    a.speaker.setPeers([peer({ addr: bAddr, port: 179 }, 64512, a, { passive: true })]);
    const first = await fakeSession(a, bAddr, grOpen(bAddr, { restartTime: 3, restarting: false }));
    announce(first, bAddr, ['10.244.64.0/24']);
    eor(first);
    await waitFor(() => best(a, '10.244.64.0/24'), { timeoutMs: 5000, what: 'a to learn the prefix' });
    first.destroy();
    await waitFor(() => a.speaker.status()[0]?.gracefulRestart === 'peer-restarting', { timeoutMs: 2000, what: 'a to keep the route stale' });
    await fakeSession(a, bAddr, grOpen(bAddr, { restartTime: 3, restarting: true }));
    const back = Date.now();
    expect(best(a, '10.244.64.0/24')?.best.stale).toBe(true);
    await waitFor(() => best(a, '10.244.64.0/24') === undefined, { timeoutMs: 5000, what: 'the stale-path timer to flush the route' });
    const took = Date.now() - back;
    expect(took).toBeGreaterThanOrEqual(400);
    // Well before the 3 s restart time would have run out.
    expect(took).toBeLessThan(1300);
    expect(a.speaker.status()[0]).toMatchObject({ state: 'Established', gracefulRestart: 'negotiated' });
  });

  it('ends the graceful restart when the re-established session fails for real before End-of-RIB', async () => {
    const a = await node('127.0.53.1', 64512);
    const bAddr = '127.0.53.2';
    a.speaker.setPeers([peer({ addr: bAddr, port: 179 }, 64512, a, { passive: true })]);
    const first = await fakeSession(a, bAddr, grOpen(bAddr, { restartTime: 30, restarting: false }));
    announce(first, bAddr, ['10.244.65.0/24']);
    eor(first);
    await waitFor(() => best(a, '10.244.65.0/24'), { timeoutMs: 5000, what: 'a to learn the prefix' });
    first.destroy();
    await waitFor(() => a.speaker.status()[0]?.gracefulRestart === 'peer-restarting', { timeoutMs: 2000, what: 'a to keep the route stale' });
    const second = await fakeSession(a, bAddr, grOpen(bAddr, { restartTime: 30, restarting: true }));
    expect(a.speaker.status()[0]?.gracefulRestart).toBe('peer-restarting');
    // Cease / Administrative Shutdown: no graceful restart covers that.
    second.send({ type: 'notification', code: 6, subcode: 2, data: Buffer.alloc(0) });
    await waitFor(() => best(a, '10.244.65.0/24') === undefined, { timeoutMs: 2000, what: 'the route to go at once' });
    expect(a.speaker.status()[0]).toMatchObject({ gracefulRestart: 'none', lastError: 'received NOTIFICATION 6/2 (Cease / Administrative Shutdown)' });
  });

  it('as the restarting speaker, holds End-of-RIB back until every peer sent its own (RFC 4724 4.1), or the deferral time', async () => {
    const a = await node('127.0.54.1', 64512, { restarting: true, selectionDeferralSeconds: 30 });
    const [bAddr, cAddr] = ['127.0.54.2', '127.0.54.3'];
    const gr = { passive: true, gracefulRestart: { restartTime: 30 } };
    a.speaker.setPeers([peer({ addr: bAddr, port: 179 }, 64512, a, gr), peer({ addr: cAddr, port: 179 }, 64512, a, gr)]);
    const isEor = (m: { type: string }) => m.type === 'update' && endOfRibFamily(m as Parameters<typeof endOfRibFamily>[0]) !== undefined;
    const b = await fakeSession(a, bAddr, grOpen(bAddr, { restartTime: 30, restarting: false }));
    eor(b);
    await sleep(400);
    expect(b.received.filter(isEor)).toEqual([]);
    // The last peer's table is in: both get our End-of-RIB.
    const c = await fakeSession(a, cAddr, grOpen(cAddr, { restartTime: 30, restarting: false }));
    await sleep(200);
    expect(c.received.filter(isEor)).toEqual([]);
    eor(c);
    await waitFor(() => b.received.some(isEor) && c.received.some(isEor), { timeoutMs: 3000, what: 'End-of-RIB to both peers' });

    // A peer that never comes: the deferral time ends the wait.
    const d = await node('127.0.55.1', 64512, { restarting: true, selectionDeferralSeconds: 1 });
    d.speaker.setPeers([peer({ addr: '127.0.55.2', port: 179 }, 64512, d, gr), peer({ addr: '127.0.55.3', port: 179 }, 64512, d, gr)]);
    const e = await fakeSession(d, '127.0.55.2', grOpen('127.0.55.2', { restartTime: 30, restarting: false }));
    eor(e);
    await sleep(300);
    expect(e.received.filter(isEor)).toEqual([]);
    await waitFor(() => e.received.some(isEor), { timeoutMs: 3000, what: 'End-of-RIB once the deferral time is over' });
  });
});

// Our speaker against itself over loopback (127.0.0.0/8 is all local, so each speaker gets its
// own address): sessions, iBGP and eBGP attribute rules, route reflection, graceful restart,
// policy, max-prefix, collisions, and refusing unknown peers.

import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Speaker } from '../../src/bgp/speaker/speaker.js';
import { waitFor } from '../harness/wait.js';
import { best, established, live, node, peer, stopAll } from './loopback.js';

afterEach(stopAll);

describe('speaker over loopback', () => {
  it('iBGP: advertises originated prefixes with LOCAL_PREF and our next hop, and withdraws them', async () => {
    const a = await node('127.0.10.1', 64512);
    const b = await node('127.0.10.2', 64512);
    a.speaker.setPeers([peer(b, 64512, a)]);
    b.speaker.setPeers([peer(a, 64512, b, { passive: true })]);
    await established(a);
    a.speaker.originate('10.244.1.0/24');
    const got = await waitFor(() => best(b, '10.244.1.0/24'), { timeoutMs: 5000, what: 'b to learn 10.244.1.0/24' });
    expect(got.best.attrs.nextHop).toBe('127.0.10.1');
    expect(got.best.attrs.pa.localPref).toBe(100);
    expect(got.best.attrs.pa.asPath).toEqual([]);
    expect(got.best.source.ebgp).toBe(false);
    a.speaker.withdrawOrigin('10.244.1.0/24');
    await waitFor(() => best(b, '10.244.1.0/24') === undefined, { timeoutMs: 5000, what: 'b to drop the route' });
  });

  it('eBGP: prepends our AS, sets our next hop, sends no LOCAL_PREF; loops are dropped', async () => {
    const a = await node('127.0.11.1', 65001);
    const b = await node('127.0.11.2', 65002);
    a.speaker.setPeers([peer(b, 65002, a)]);
    b.speaker.setPeers([peer(a, 65001, b)]);
    await established(a);
    a.speaker.originate('10.244.2.0/24', { med: 7 });
    const got = await waitFor(() => best(b, '10.244.2.0/24'), { timeoutMs: 5000, what: 'b to learn the route' });
    expect(got.best.attrs.pa.asPath).toEqual([{ type: 'sequence', asns: [65001] }]);
    expect(got.best.attrs.pa.localPref).toBeUndefined();
    expect(got.best.attrs.pa.med).toBe(7);
    expect(got.best.attrs.nextHop).toBe('127.0.11.1');
    // b does not send a's route back to a (split horizon), and a would drop it as a loop anyway.
    expect(best(a, '10.244.2.0/24')?.best.source.key).toBe('local');
    expect(a.speaker.status()[0]?.prefixesIn).toBe(0);
  });

  it('refuses connections from unconfigured addresses without reading a byte', async () => {
    const a = await node('127.0.12.1', 64512);
    const closed = await new Promise<boolean>((resolve) => {
      const s = connect({ host: a.addr, port: a.port, localAddress: '127.0.12.9' });
      s.on('close', () => resolve(true));
      s.on('error', () => resolve(true));
      setTimeout(() => resolve(false), 3000);
    });
    expect(closed).toBe(true);
  });

  it('resolves a connection collision to a single session', async () => {
    const a = await node('127.0.13.1', 64512);
    const b = await node('127.0.13.2', 64512);
    // Both dial at once.
    a.speaker.setPeers([peer(b, 64512, a)]);
    b.speaker.setPeers([peer(a, 64512, b)]);
    await established(a);
    await established(b);
    a.speaker.originate('10.244.3.0/24');
    await waitFor(() => best(b, '10.244.3.0/24'), { timeoutMs: 5000, what: 'route over the surviving session' });
    // Stays up (the loser was closed, not the winner).
    await new Promise((r) => setTimeout(r, 1500));
    expect(a.speaker.status()[0]?.state).toBe('Established');
    expect(b.speaker.status()[0]?.state).toBe('Established');
  });

  it('reflects routes between route-reflector clients with ORIGINATOR_ID and CLUSTER_LIST', async () => {
    const rr = await node('127.0.14.1', 64512);
    const c1 = await node('127.0.14.2', 64512);
    const c2 = await node('127.0.14.3', 64512);
    rr.speaker.setPeers([peer(c1, 64512, rr, { routeReflectorClient: true, passive: true }), peer(c2, 64512, rr, { routeReflectorClient: true, passive: true })]);
    c1.speaker.setPeers([peer(rr, 64512, c1)]);
    c2.speaker.setPeers([peer(rr, 64512, c2)]);
    await established(rr, 2);
    c1.speaker.originate('10.244.4.0/24');
    const got = await waitFor(() => best(c2, '10.244.4.0/24'), { timeoutMs: 5000, what: 'c2 to learn c1 route via the RR' });
    expect(got.best.attrs.pa.originatorId).toBe('127.0.14.2');
    expect(got.best.attrs.pa.clusterList).toEqual(['127.0.14.1']);
    // The next hop is c1's, unchanged by the reflector.
    expect(got.best.attrs.nextHop).toBe('127.0.14.2');
    // c1 gets its own route reflected back and drops it (ORIGINATOR_ID is its router id).
    await new Promise((r) => setTimeout(r, 300));
    expect(best(c1, '10.244.4.0/24')?.best.source.key).toBe('local');
  });

  it('does not pass iBGP routes between non-clients', async () => {
    const mid = await node('127.0.15.1', 64512);
    const x = await node('127.0.15.2', 64512);
    const y = await node('127.0.15.3', 64512);
    mid.speaker.setPeers([peer(x, 64512, mid, { passive: true }), peer(y, 64512, mid, { passive: true })]);
    x.speaker.setPeers([peer(mid, 64512, x)]);
    y.speaker.setPeers([peer(mid, 64512, y)]);
    await established(mid, 2);
    x.speaker.originate('10.244.5.0/24');
    await waitFor(() => best(mid, '10.244.5.0/24'), { timeoutMs: 5000, what: 'mid to learn x route' });
    await new Promise((r) => setTimeout(r, 500));
    expect(best(y, '10.244.5.0/24')).toBeUndefined();
  });

  it('graceful restart: keeps a restarting peer routes stale, then flushes what End-of-RIB did not refresh', async () => {
    const a = await node('127.0.16.1', 64512);
    let b = await node('127.0.16.2', 64512);
    a.speaker.setPeers([peer(b, 64512, a, { passive: true, gracefulRestart: { restartTime: 30 } })]);
    b.speaker.setPeers([peer(a, 64512, b, { gracefulRestart: { restartTime: 30 } })]);
    await established(a);
    b.speaker.originate('10.244.6.0/24');
    b.speaker.originate('10.244.7.0/24');
    await waitFor(() => best(a, '10.244.7.0/24'), { timeoutMs: 5000, what: 'a to learn both routes' });

    // b goes away without a NOTIFICATION (process restart): a keeps both, stale.
    await b.speaker.stop({ graceful: true });
    live.splice(live.indexOf(b.speaker), 1);
    await waitFor(() => a.speaker.status()[0]?.state !== 'Established', { timeoutMs: 5000, what: 'a to notice' });
    expect(best(a, '10.244.6.0/24')?.best.stale).toBe(true);
    expect(best(a, '10.244.7.0/24')?.best.stale).toBe(true);
    expect(a.speaker.status()[0]?.gracefulRestart).toBe('peer-restarting');

    // b comes back (same address and port), restarting, and now originates only one prefix.
    const port = b.port;
    const restarted = new Speaker({ asn: 64512, routerId: b.addr, listenAddress: b.addr, listenPort: port, connectRetrySeconds: 1, restarting: true, allowLoopbackNextHop: true });
    await restarted.start();
    live.push(restarted);
    b = { ...b, speaker: restarted };
    restarted.originate('10.244.6.0/24');
    restarted.setPeers([peer(a, 64512, b, { gracefulRestart: { restartTime: 30 } })]);
    await waitFor(() => best(a, '10.244.7.0/24') === undefined, { timeoutMs: 10_000, what: 'End-of-RIB to flush the stale route' });
    expect(best(a, '10.244.6.0/24')?.best.stale).toBe(false);
  });

  it('without graceful restart, a lost peer routes go at once', async () => {
    const a = await node('127.0.17.1', 64512);
    const b = await node('127.0.17.2', 64512);
    a.speaker.setPeers([peer(b, 64512, a, { passive: true, gracefulRestart: false })]);
    b.speaker.setPeers([peer(a, 64512, b, { gracefulRestart: false })]);
    await established(a);
    b.speaker.originate('10.244.8.0/24');
    await waitFor(() => best(a, '10.244.8.0/24'), { timeoutMs: 5000, what: 'a to learn' });
    await b.speaker.stop({ graceful: true });
    live.splice(live.indexOf(b.speaker), 1);
    await waitFor(() => best(a, '10.244.8.0/24') === undefined, { timeoutMs: 5000, what: 'a to drop b routes' });
  });

  it('applies import policy, and re-applies it through route refresh when it changes', async () => {
    const a = await node('127.0.18.1', 64512);
    const b = await node('127.0.18.2', 64512);
    const onlyPods = { rules: [{ match: { prefixes: [{ cidr: '10.244.0.0/16', le: 32 }] }, action: 'accept' as const }], defaultAction: 'reject' as const };
    a.speaker.setPeers([peer(b, 64512, a, { passive: true, importPolicy: onlyPods })]);
    b.speaker.setPeers([peer(a, 64512, b)]);
    await established(a);
    b.speaker.originate('10.244.9.0/24');
    b.speaker.originate('0.0.0.0/0');
    b.speaker.originate('192.168.50.0/24');
    await waitFor(() => best(a, '10.244.9.0/24'), { timeoutMs: 5000, what: 'a to learn the pod route' });
    await new Promise((r) => setTimeout(r, 300));
    expect(best(a, '0.0.0.0/0')).toBeUndefined();
    expect(best(a, '192.168.50.0/24')).toBeUndefined();
    expect(a.speaker.status()[0]).toMatchObject({ prefixesReceived: 3, prefixesIn: 1, gracefulRestart: 'negotiated' });
    // Also allow the default route: a route refresh brings it in without a session reset.
    const withDefault = { ...onlyPods, rules: [...onlyPods.rules, { match: { prefixes: [{ cidr: '0.0.0.0/0' }] }, action: 'accept' as const, set: { localPref: 50 } }] };
    a.speaker.setPeers([peer(b, 64512, a, { passive: true, importPolicy: withDefault })]);
    const d = await waitFor(() => best(a, '0.0.0.0/0'), { timeoutMs: 5000, what: 'the default route after route refresh' });
    expect(d.best.attrs.pa.localPref).toBe(50);
    expect(best(a, '192.168.50.0/24')).toBeUndefined();
    expect(a.speaker.status()[0]?.state).toBe('Established');
  });

  it('enforces max-prefix with drop, keeping the session', async () => {
    const a = await node('127.0.19.1', 64512);
    const b = await node('127.0.19.2', 64512);
    a.speaker.setPeers([peer(b, 64512, a, { passive: true, maxPrefix: { limit: 3, action: 'drop' } })]);
    b.speaker.setPeers([peer(a, 64512, b)]);
    await established(a);
    for (let i = 0; i < 5; i++) b.speaker.originate(`10.250.${i}.0/24`);
    await waitFor(() => a.speaker.status()[0]?.prefixesIn === 3, { timeoutMs: 5000, what: 'three prefixes admitted' });
    await new Promise((r) => setTimeout(r, 300));
    expect(a.speaker.status()[0]?.prefixesIn).toBe(3);
    expect(a.speaker.status()[0]?.state).toBe('Established');
  });

  it('sends nothing for a route that comes and goes within one turn, and keeps one that goes and comes back', async () => {
    const a = await node('127.0.21.1', 64512);
    const b = await node('127.0.21.2', 64512);
    a.speaker.setPeers([peer(b, 64512, a)]);
    b.speaker.setPeers([peer(a, 64512, b, { passive: true })]);
    await established(a);
    a.speaker.originate('10.244.30.0/24');
    await waitFor(() => best(b, '10.244.30.0/24'), { timeoutMs: 5000, what: 'b to learn the steady route' });
    // Within one event-loop turn: a new route appears and disappears; the known one flaps back.
    a.speaker.originate('10.244.31.0/24');
    a.speaker.withdrawOrigin('10.244.31.0/24');
    a.speaker.withdrawOrigin('10.244.30.0/24');
    a.speaker.originate('10.244.30.0/24');
    a.speaker.originate('10.244.32.0/24');
    await waitFor(() => best(b, '10.244.32.0/24'), { timeoutMs: 5000, what: 'the marker route after the flaps' });
    expect(best(b, '10.244.31.0/24')).toBeUndefined();
    expect(best(b, '10.244.30.0/24')).toBeDefined();
  });
});

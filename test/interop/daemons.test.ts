// Self-test of the real-daemon harness (test/harness/bgp-daemons): BIRD 2, FRR and GoBGP peer with
// each other on one L2 segment, exchange a few hundred prefixes each way and program their netns
// FIBs; route reflectors of each kind reflect between the other two. If this passes, interop tests
// of our own speaker can trust what the daemons report.
//
// Every test has its own world (namespaces, processes, state dirs), so they run concurrently.

import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startBird, startFrr, startGobgp, prefixRange, type BgpDaemon, type DaemonKind, type DaemonNeighbor, type DaemonOptions } from '../harness/bgp-daemons/index.js';
import { withWorld, type World } from '../harness/netns.js';
import { lan, type LanHost } from './lan.js';
import { waitFib, waitLearned } from './routes-wait.js';

const START: Record<DaemonKind, (w: World, o: DaemonOptions) => Promise<BgpDaemon>> = { bird: startBird, frr: startFrr, gobgp: startGobgp };
const N4 = 300;
const N6 = 100;
const TEST_MS = 60_000;

/** GoBGP has no FIB; the other two program the netns kernel table. */
const hasFib = (k: DaemonKind): boolean => k !== 'gobgp';
/** An active GoBGP takes ~6 s to its first connect; passive, it is up as soon as the peer dials. */
const passive = (k: DaemonKind): boolean => k === 'gobgp';

function neighborsTo(me: DaemonKind, peer: LanHost, asn: number, ipv6: boolean, extra: Partial<DaemonNeighbor> = {}): DaemonNeighbor[] {
  const n = { asn, passive: passive(me), ...extra };
  return [{ address: peer.v4, ...n }, ...(ipv6 ? [{ address: peer.v6, ...n }] : [])];
}

/**
 * Start daemons, the passive ones (GoBGP) first: an active peer that dials a port nobody listens on
 * yet backs off for seconds, so the listener must be up first.
 */
async function startAll(w: World, specs: readonly [DaemonKind, DaemonOptions][]): Promise<BgpDaemon[]> {
  const out: BgpDaemon[] = [];
  for (const wantPassive of [true, false]) {
    await Promise.all(
      specs.map(async ([k, o], i) => {
        if (passive(k) === wantPassive) out[i] = await START[k](w, o);
      }),
    );
  }
  return out;
}

async function ebgpPair(ka: DaemonKind, kb: DaemonKind, ipv6: boolean): Promise<void> {
  const dirs: string[] = [];
  await withWorld(async (w) => {
    const [ha, hb] = (await lan(w, [`${ka}a`, `${kb}b`])) as [LanHost, LanHost];
    // B has a 4-byte ASN: AS_PATH must carry it whole (all three speak AS4).
    const asA = 65001;
    const asB = 4200000002;
    const [da, db] = (await startAll(w, [
      [ka, { ns: ha.ns, routerId: ha.v4, asn: asA, ipv6, kernel: hasFib(ka), neighbors: neighborsTo(ka, hb, asB, ipv6) }],
      [kb, { ns: hb.ns, routerId: hb.v4, asn: asB, ipv6, kernel: hasFib(kb), neighbors: neighborsTo(kb, ha, asA, ipv6) }],
    ])) as [BgpDaemon, BgpDaemon];
    dirs.push(da.dir, db.dir);
    const pa4 = prefixRange('10.10.0.0', N4, 24);
    const pb4 = prefixRange('10.20.0.0', N4, 24);
    const pa6 = ipv6 ? prefixRange('fd00:1::', N6, 64) : [];
    const pb6 = ipv6 ? prefixRange('fd00:2::', N6, 64) : [];
    await Promise.all([da.announce([...pa4, ...pa6], { med: 10, communities: ['65001:100'] }), db.announce([...pb4, ...pb6])]);

    const peers = (h: LanHost) => [h.v4, ...(ipv6 ? [h.v6] : [])];
    await Promise.all([...peers(hb).map((p) => da.waitEstablished(p)), ...peers(ha).map((p) => db.waitEstablished(p))]);

    // A's routes at B: one AS hop, A's session address as next hop, MED and community as sent.
    for (const r of (await waitLearned(db, 4, ha.v4, pa4)).values()) {
      expect(r).toMatchObject({ asPath: [asA], med: 10 });
      expect(r.nextHops[0]).toBe(ha.v4);
      expect(r.communities).toContain('65001:100');
    }
    for (const r of (await waitLearned(da, 4, hb.v4, pb4)).values()) {
      expect(r.asPath).toEqual([asB]);
      expect(r.nextHops[0]).toBe(hb.v4);
    }
    if (ipv6) {
      for (const r of (await waitLearned(db, 6, ha.v6, pa6)).values()) {
        expect(r.asPath).toEqual([asA]);
        expect(r.nextHops[0]).toBe(ha.v6);
      }
      for (const r of (await waitLearned(da, 6, hb.v6, pb6)).values()) expect(r.nextHops[0]).toBe(hb.v6);
    }
    for (const [d, peer] of [[da, hb.v4], [db, ha.v4]] as const) {
      const s = (await d.sessions()).find((x) => x.peer === peer);
      expect(s).toMatchObject({ state: 'Established', established: true });
      expect(s?.prefixesReceived).toBeGreaterThanOrEqual(N4);
    }

    // The kernel-enabled daemons installed the peer's routes via the peer (IPv6: global or link-local).
    for (const [k, h, want, via] of [[ka, ha, pb4, hb], [kb, hb, pa4, ha]] as const) {
      if (!hasFib(k)) continue;
      for (const r of (await waitFib(w, h.ns, 4, want)).values()) expect(r.gateways).toEqual([via.v4]);
    }
    if (ipv6) {
      for (const [k, h, want, via] of [[ka, ha, pb6, hb], [kb, hb, pa6, ha]] as const) {
        if (!hasFib(k)) continue;
        for (const r of (await waitFib(w, h.ns, 6, want)).values()) expect(r.gateways[0]).toMatch(new RegExp(`^(${via.v6}|fe80::.*)$`));
      }
    }

    // announce() replaces the set: ten IPv4 prefixes stay, the rest and all IPv6 ones are withdrawn.
    const keep = pa4.slice(0, 10);
    await da.announce(keep);
    await waitLearned(db, 4, ha.v4, keep, pa4);
    if (ipv6) await waitLearned(db, 6, ha.v6, [], pa6);
    if (hasFib(kb)) await waitFib(w, hb.ns, 4, keep, pa4);

    // restart(): B comes back with the same config and the same originated routes.
    await db.restart();
    await da.waitEstablished(hb.v4);
    await waitLearned(da, 4, hb.v4, pb4);
    await Promise.all([da.stop(), db.stop()]);
    // stop() removes the state dirs.
    expect(dirs.filter((d) => existsSync(d))).toEqual([]);
  });
}

/** `rr` reflects between two iBGP clients: ORIGINATOR_ID, CLUSTER_LIST, next hop unchanged. */
async function routeReflection(kr: DaemonKind, k1: DaemonKind, k2: DaemonKind): Promise<void> {
  const dirs: string[] = [];
  await withWorld(async (w) => {
    const [hr, h1, h2] = (await lan(w, [`${kr}rr`, `${k1}c`, `${k2}c`])) as [LanHost, LanHost, LanHost];
    const asn = 65000;
    const clusterId = '10.0.0.100';
    const [rr, c1, c2] = (await startAll(w, [
      [
        kr,
        {
          ns: hr.ns,
          routerId: hr.v4,
          asn,
          kernel: hasFib(kr),
          routeReflector: { clusterId },
          neighbors: [h1, h2].map((h) => ({ address: h.v4, asn, rrClient: true, passive: passive(kr) })),
        },
      ],
      [k1, { ns: h1.ns, routerId: h1.v4, asn, kernel: hasFib(k1), neighbors: neighborsTo(k1, hr, asn, false) }],
      [k2, { ns: h2.ns, routerId: h2.v4, asn, kernel: hasFib(k2), neighbors: neighborsTo(k2, hr, asn, false) }],
    ])) as [BgpDaemon, BgpDaemon, BgpDaemon];
    dirs.push(rr.dir, c1.dir, c2.dir);
    const p1 = prefixRange('10.11.0.0', 200, 24);
    const p2 = prefixRange('10.12.0.0', 200, 24);
    await Promise.all([c1.announce(p1, { communities: ['65000:1'] }), c2.announce(p2)]);
    await Promise.all([c1.waitEstablished(hr.v4), c2.waitEstablished(hr.v4), rr.waitEstablished(h1.v4), rr.waitEstablished(h2.v4)]);

    // The RR itself learned them straight from the clients: no reflection attributes yet.
    for (const [from, want] of [[h1.v4, p1], [h2.v4, p2]] as const) {
      for (const r of (await waitLearned(rr, 4, from, want)).values()) {
        expect(r).toMatchObject({ asPath: [], nextHops: [from], localPref: 100 });
        expect(r.originatorId).toBeUndefined();
        expect(r.clusterList).toBeUndefined();
      }
    }
    // Each client got the other's routes from the RR, marked as reflected, next hop untouched.
    for (const [d, origin, want] of [[c2, h1, p1], [c1, h2, p2]] as const) {
      for (const r of (await waitLearned(d, 4, hr.v4, want)).values()) {
        expect(r).toMatchObject({ asPath: [], nextHops: [origin.v4], localPref: 100, originatorId: origin.v4, clusterList: [clusterId] });
      }
    }
    expect((await c2.routes(4)).find((r) => r.prefix === p1[0])?.communities).toEqual(['65000:1']);
    for (const [k, h, want, via] of [[k1, h1, p2, h2], [k2, h2, p1, h1]] as const) {
      if (!hasFib(k)) continue;
      for (const r of (await waitFib(w, h.ns, 4, want)).values()) expect(r.gateways).toEqual([via.v4]);
    }
    // No stop() here: the world's cleanup stops the daemons and removes their state dirs.
  });
  expect(dirs.filter((d) => existsSync(d))).toEqual([]);
}

describe.concurrent('real BGP daemons in network namespaces', () => {
  it(`BIRD <-> FRR: eBGP, ${N4} IPv4 + ${N6} IPv6 prefixes each way, both FIBs`, () => ebgpPair('bird', 'frr', true), TEST_MS);
  it(`FRR <-> GoBGP: eBGP, ${N4} IPv4 + ${N6} IPv6 prefixes each way, FRR's FIB`, () => ebgpPair('frr', 'gobgp', true), TEST_MS);
  it(`BIRD <-> GoBGP: eBGP, ${N4} IPv4 prefixes each way, BIRD's FIB`, () => ebgpPair('bird', 'gobgp', false), TEST_MS);
  it('FRR route reflector, BIRD and GoBGP clients', () => routeReflection('frr', 'bird', 'gobgp'), TEST_MS);
  it('BIRD route reflector, FRR and GoBGP clients', () => routeReflection('bird', 'frr', 'gobgp'), TEST_MS);
  it('GoBGP route reflector, BIRD and FRR clients', () => routeReflection('gobgp', 'bird', 'frr'), TEST_MS);
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareAddresses, decide, type Candidate } from '../../../src/bgp/rib/decision.js';

type C = Candidate<string>;

function peer(name: string, over: Partial<C> & { address?: string; bgpId?: number; ebgp?: boolean } = {}): C {
  const { address = '192.0.2.1', bgpId = 1, ebgp = false, ...rest } = over;
  return {
    source: { type: 'peer', address, bgpId, ebgp },
    asPathLength: 1,
    neighborAs: 65000,
    origin: 'igp',
    route: name,
    ...rest,
  };
}

describe('decide', () => {
  it('returns nothing for no candidates and the only one for one', () => {
    expect(decide([])).toBeUndefined();
    const a = peer('a');
    expect(decide([a])).toEqual({ best: a, multipath: [a], reason: 'only-path' });
  });

  it.each<[string, C[], string, string]>([
    ['highest LOCAL_PREF, 100 when absent', [peer('a', { localPref: 90 }), peer('b', { address: '192.0.2.2' })], 'b', 'local-pref'],
    ['shortest AS_PATH', [peer('a', { asPathLength: 3 }), peer('b', { asPathLength: 2, address: '192.0.2.2' })], 'b', 'as-path'],
    ['lowest ORIGIN', [peer('a', { origin: 'incomplete' }), peer('b', { origin: 'egp', address: '192.0.2.2' })], 'b', 'origin'],
    ['lowest MED from the same AS, missing MED = 0', [peer('a', { med: 10 }), peer('b', { address: '192.0.2.2' })], 'b', 'med'],
    ['eBGP over iBGP', [peer('a', { address: '192.0.2.1' }), peer('b', { address: '192.0.2.9', ebgp: true })], 'b', 'ebgp'],
    ['lowest IGP cost to the next hop', [peer('a', { igpCost: 20 }), peer('b', { igpCost: 10, address: '192.0.2.2' })], 'b', 'igp-cost'],
    ['shortest CLUSTER_LIST', [peer('a', { clusterListLength: 2, bgpId: 1 }), peer('b', { clusterListLength: 1, bgpId: 9, address: '192.0.2.2' })], 'b', 'cluster'],
    ['lowest router id', [peer('a', { bgpId: 5 }), peer('b', { bgpId: 4, address: '192.0.2.2' })], 'b', 'router-id'],
    ['ORIGINATOR_ID stands in for the router id', [peer('a', { bgpId: 1, originatorId: 50 }), peer('b', { bgpId: 9, address: '192.0.2.2' })], 'b', 'router-id'],
    ['lowest peer address, compared numerically', [peer('a', { address: '192.0.2.10' }), peer('b', { address: '192.0.2.9' })], 'b', 'peer'],
  ])('%s', (_name, cands, winner, reason) => {
    const d = decide(cands, { maxPaths: 1 });
    expect(d?.best.route).toBe(winner);
    expect(d?.reason).toBe(reason);
  });

  it('earlier steps beat later ones', () => {
    const d = decide([peer('a', { localPref: 200, asPathLength: 9 }), peer('b', { asPathLength: 1, address: '192.0.2.2' })]);
    expect(d?.best.route).toBe('a');
  });

  it('prefers locally originated paths and never spreads them over ECMP', () => {
    const local: C = { source: { type: 'local' }, asPathLength: 0, neighborAs: undefined, origin: 'igp', route: 'local' };
    const d = decide([peer('a', { asPathLength: 0, neighborAs: undefined }), local]);
    expect(d?.best.route).toBe('local');
    expect(d?.multipath.map((c) => c.route)).toEqual(['local']);
  });

  it('compares MED only within a neighbouring AS (RFC 4271 9.1.2.2 c)', () => {
    // a and b are from AS 65001: b's lower MED removes a. c from AS 65002 is not compared.
    const a = peer('a', { neighborAs: 65001, med: 50, bgpId: 1, address: '192.0.2.1' });
    const b = peer('b', { neighborAs: 65001, med: 10, bgpId: 3, address: '192.0.2.3' });
    const c = peer('c', { neighborAs: 65002, med: 100, bgpId: 2, address: '192.0.2.2' });
    // Left: b (65001) and c (65002); router id picks c although a (removed by MED) had the lowest.
    expect(decide([a, b, c], { maxPaths: 1 })?.best.route).toBe('c');
    expect(decide([a, b, c], { maxPaths: 1, alwaysCompareMed: true })?.best.route).toBe('b');
  });

  it('builds the ECMP set from paths equal up to the IGP cost, from the same neighbouring AS', () => {
    const a = peer('a', { address: '192.0.2.3', bgpId: 3 });
    const b = peer('b', { address: '192.0.2.1', bgpId: 2 });
    const c = peer('c', { address: '192.0.2.2', bgpId: 1, neighborAs: 65009 });
    const worse = peer('d', { address: '192.0.2.4', med: 5 });
    const d = decide([a, b, c, worse]);
    expect(d?.best.route).toBe('c');
    // c is from another AS: alone without relax.
    expect(d?.multipath.map((x) => x.route)).toEqual(['c']);
    const relaxed = decide([a, b, c, worse], { multipathRelax: true });
    expect(relaxed?.multipath.map((x) => x.route)).toEqual(['c', 'b', 'a']);
    expect(decide([a, b, worse])?.multipath.map((x) => x.route)).toEqual(['b', 'a']);
    expect(decide([a, b, worse], { maxPaths: 1 })?.multipath.map((x) => x.route)).toEqual(['b']);
  });

  it('orders addresses numerically, IPv4 before IPv6', () => {
    expect(compareAddresses('10.0.0.9', '10.0.0.10')).toBeLessThan(0);
    expect(compareAddresses('fd00::2', 'fd00::10')).toBeLessThan(0);
    expect(compareAddresses('255.255.255.255', '::1')).toBeLessThan(0);
    expect(compareAddresses('2001:db8::1', '2001:db8:0:0::1')).toBe(0);
  });

  it('does not depend on the order candidates arrive in', () => {
    const cand = fc.record({
      localPref: fc.option(fc.constantFrom(90, 100, 200), { nil: undefined }),
      asPathLength: fc.integer({ min: 0, max: 3 }),
      neighborAs: fc.constantFrom(65001, 65002, 65003),
      origin: fc.constantFrom('igp' as const, 'egp' as const, 'incomplete' as const),
      med: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
      ebgp: fc.boolean(),
      bgpId: fc.integer({ min: 1, max: 5 }),
      clusterListLength: fc.integer({ min: 0, max: 2 }),
    });
    fc.assert(
      fc.property(fc.uniqueArray(cand, { minLength: 1, maxLength: 8 }).chain((cs) => fc.tuple(fc.constant(cs), fc.shuffledSubarray(cs.map((_, i) => i), { minLength: cs.length }))), ([cs, order]) => {
        const cands = cs.map((c, i) => peer(`p${i}`, { ...c, address: `192.0.2.${i + 1}` }));
        const d1 = decide(cands);
        const d2 = decide(order.map((i) => cands[i] as C));
        expect(d2?.best.route).toBe(d1?.best.route);
        expect(d2?.reason).toBe(d1?.reason);
        expect(d2?.multipath.map((c) => c.route)).toEqual(d1?.multipath.map((c) => c.route));
      }),
      { numRuns: 1000 },
    );
  });
});

import { describe, expect, it } from 'vitest';
import type { Best } from '../../../src/bgp/rib/rib.js';
import type { RouteAttrs } from '../../../src/bgp/speaker/route-rules.js';
import { desiredRoutes } from '../../../src/routes/desired.js';
import { resolveNextHop, type ResolvedNextHop } from '../../../src/routes/next-hop.js';

function best(prefix: string, nextHops: readonly string[], source = 'peer'): Best<RouteAttrs> {
  const paths = nextHops.map((nextHop) => ({ prefix, source: { key: source === 'local' ? 'local' : nextHop, bgpId: 1, ebgp: false }, attrs: { pa: {}, nextHop }, stale: false }));
  const first = paths[0] ?? { prefix, source: { key: 'local', bgpId: 0, ebgp: false }, attrs: { pa: {}, nextHop: '' }, stale: false };
  return { best: first, multipath: paths.length > 0 ? paths : [first], reason: 'only-path' };
}

describe('resolveNextHop (ip route get NH -> kernel next hop)', () => {
  it('keeps a directly reachable next hop, recurses through a gateway, goes onlink through itself, drops the unreachable', () => {
    expect(resolveNextHop('192.0.2.2', { type: 'unicast', dev: 'eth0' })).toEqual({ type: 'hop', hop: { gateway: '192.0.2.2' } });
    expect(resolveNextHop('172.16.0.1', { type: 'unicast', gateway: '172.16.2.1', dev: 'eth0' })).toEqual({ type: 'hop', hop: { gateway: '172.16.2.1', dev: 'eth0' } });
    expect(resolveNextHop('172.16.0.1', { type: 'unicast', gateway: '172.16.0.1', dev: 'eth0' })).toEqual({ type: 'hop', hop: { gateway: '172.16.0.1', dev: 'eth0', onlink: true } });
    expect(resolveNextHop('10.9.9.9', undefined)).toEqual({ type: 'unreachable' });
    expect(resolveNextHop('10.9.9.9', { type: 'blackhole', dev: 'lo' })).toEqual({ type: 'unreachable' });
  });
});

describe('desiredRoutes', () => {
  it('uses resolved next hops, merges ECMP members that resolve alike, skips unreachable ones and local paths, blackholes own podCIDRs', () => {
    const nextHops = new Map<string, ResolvedNextHop>([
      ['172.16.0.1', { type: 'hop', hop: { gateway: '172.16.2.1', dev: 'eth0' } }],
      ['172.16.0.9', { type: 'hop', hop: { gateway: '172.16.2.1', dev: 'eth0' } }],
      ['10.9.9.9', { type: 'unreachable' }],
    ]);
    const out = desiredRoutes({
      locRib: [
        best('10.244.1.0/24', ['192.0.2.1']),
        best('10.244.3.0/24', ['172.16.0.1', '172.16.0.9']),
        best('10.244.4.0/24', ['10.9.9.9']),
        best('10.244.5.0/24', ['10.9.9.9', '192.0.2.5']),
        best('10.96.0.0/16', [], 'local'),
      ],
      blackholes: ['10.244.2.0/24'],
      nextHops,
    });
    expect(out).toEqual([
      { dst: '10.244.1.0/24', type: 'unicast', nexthops: [{ gateway: '192.0.2.1' }] },
      { dst: '10.244.2.0/24', type: 'blackhole', nexthops: [] },
      { dst: '10.244.3.0/24', type: 'unicast', nexthops: [{ gateway: '172.16.2.1', dev: 'eth0' }] },
      { dst: '10.244.5.0/24', type: 'unicast', nexthops: [{ gateway: '192.0.2.5' }] },
    ]);
  });
});

// Output normalisers of the real-daemon harness, on native output recorded from BIRD 2.0.12, FRR
// 8.4.4 and GoBGP 3.10 while developing it (fixtures/bgp-daemons/{ebgp,rr}/): an eBGP triangle
// FRR (AS 65001) - GoBGP (AS 4200000002) - BIRD (AS 65003), each with one dead neighbor
// 10.0.0.9, and an FRR route reflector (cluster 10.0.0.100) with BIRD (10.0.0.2) and GoBGP
// (10.0.0.3) clients. Golden JSON per sample (UPDATE_GOLDEN=1 rewrites) plus the facts that matter.

import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseBirdProtocols, parseBirdRoutes } from '../../src/lab/routers/bird-parse.js';
import { parseIpRouteJson } from '../harness/bgp-daemons/fib.js';
import { parseFrrRoutes, parseFrrSummary } from '../../src/lab/routers/frr-parse.js';
import { parseGobgpNeighbors, parseGobgpRib } from '../../src/lab/routers/gobgp-parse.js';
import { canonicalState } from '../../src/lab/routers/common.js';

const FIX = new URL('fixtures/bgp-daemons/', import.meta.url);
const sample = (name: string): string => readFileSync(new URL(name, FIX), 'utf8');

function golden(name: string, value: unknown): void {
  const f = new URL(`golden/${name}.json`, FIX);
  const text = `${JSON.stringify(value, null, 1)}\n`;
  if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(f, text);
  expect(text).toBe(readFileSync(f, 'utf8'));
}

const ebgpPeers = new Map([['peer0', '10.0.0.2'], ['peer1', '10.0.0.9']]);
const rrPeers = new Map([['peer0', '10.0.0.1'], ['peer1', 'fd00::1']]);

describe('bgp-daemons normalisers', () => {
  it('every sample matches its golden normalised form', () => {
    golden('ebgp-bird-sessions', parseBirdProtocols(sample('ebgp/bird-protocols.txt')));
    golden('ebgp-bird-routes4', parseBirdRoutes(sample('ebgp/bird-routes4.txt'), ebgpPeers));
    golden('ebgp-frr-sessions', parseFrrSummary(sample('ebgp/frr-summary.json')));
    golden('ebgp-frr-routes4', parseFrrRoutes(sample('ebgp/frr-routes4.json')));
    golden('ebgp-frr-routes6', parseFrrRoutes(sample('ebgp/frr-routes6.json')));
    golden('ebgp-gobgp-sessions', parseGobgpNeighbors(sample('ebgp/gobgp-neighbors.json')));
    golden('ebgp-gobgp-rib4', parseGobgpRib(sample('ebgp/gobgp-rib4.json')));
    golden('ebgp-gobgp-rib6', parseGobgpRib(sample('ebgp/gobgp-rib6.json')));
    golden('rr-bird-routes4', parseBirdRoutes(sample('rr/bird-routes4.txt'), rrPeers));
    golden('rr-bird-routes6', parseBirdRoutes(sample('rr/bird-routes6.txt'), rrPeers));
    golden('rr-frr-routes4', parseFrrRoutes(sample('rr/frr-routes4.json')));
    golden('rr-gobgp-rib4', parseGobgpRib(sample('rr/gobgp-rib4.json')));
    golden('rr-fib4', parseIpRouteJson(sample('rr/ip-route4.json'), 4));
  });

  it('sessions: Established with counts, and a dead neighbor in a non-established state, for all three', () => {
    expect(parseBirdProtocols(sample('ebgp/bird-protocols.txt'))).toEqual([
      { peer: '10.0.0.2', state: 'Established', established: true, prefixesReceived: 4 },
      { peer: '10.0.0.9', state: 'Connect', established: false, prefixesReceived: 0 },
    ]);
    const frr = parseFrrSummary(sample('ebgp/frr-summary.json'));
    expect(frr.map((s) => [s.peer, s.established])).toEqual([['10.0.0.2', true], ['10.0.0.9', false], ['fd00::2', true]]);
    const gobgp = parseGobgpNeighbors(sample('ebgp/gobgp-neighbors.json'));
    expect(gobgp.find((s) => s.peer === '10.0.0.9')).toMatchObject({ state: 'Active', established: false });
    expect(gobgp.find((s) => s.peer === '10.0.0.1')).toMatchObject({ state: 'Established', prefixesReceived: 2 });
  });

  it('eBGP paths: 4-byte ASNs in AS_PATH, next hop, MED and communities; local paths have no from', () => {
    const bird = parseBirdRoutes(sample('ebgp/bird-routes4.txt'), ebgpPeers);
    expect(bird.find((r) => r.prefix === '10.1.0.0/24')).toMatchObject({ asPath: [4200000002, 65001], nextHops: ['10.0.0.2'], from: '10.0.0.2', communities: ['65001:1', '65001:2'], best: true });
    expect(bird.find((r) => r.prefix === '10.3.0.0/24')).toEqual({ prefix: '10.3.0.0/24', asPath: [], best: true, nextHops: [] });
    const frr6 = parseFrrRoutes(sample('ebgp/frr-routes6.json'));
    expect(frr6.find((r) => r.prefix === 'fd00:2::/64')).toMatchObject({ asPath: [4200000002], from: 'fd00::2' });
    const gobgp = parseGobgpRib(sample('ebgp/gobgp-rib4.json'));
    expect(gobgp.find((r) => r.prefix === '10.1.0.0/24')).toMatchObject({ asPath: [65001], nextHops: ['10.0.0.1'], med: 5, communities: ['65001:1', '65001:2'] });
  });

  it('reflected paths carry ORIGINATOR_ID and CLUSTER_LIST in every normaliser', () => {
    const reflected = { originatorId: '10.0.0.3', clusterList: ['10.0.0.100'], nextHops: ['10.0.0.3'], asPath: [], localPref: 100 };
    expect(parseBirdRoutes(sample('rr/bird-routes4.txt'), rrPeers).find((r) => r.prefix === '10.2.0.0/24')).toMatchObject({ ...reflected, from: '10.0.0.1' });
    expect(parseGobgpRib(sample('rr/gobgp-rib4.json')).find((r) => r.prefix === '10.1.0.0/24')).toMatchObject({
      ...reflected,
      originatorId: '10.0.0.2',
      nextHops: ['10.0.0.2'],
      from: '10.0.0.1',
    });
    // On the RR itself the path is straight from the client: no reflection attributes.
    const atRr = parseFrrRoutes(sample('rr/frr-routes4.json')).find((r) => r.prefix === '10.2.0.0/24');
    expect(atRr).toMatchObject({ from: '10.0.0.3', localPref: 100 });
    expect(atRr?.originatorId).toBeUndefined();
  });

  it('FIB: connected routes dropped, host routes get their length, ECMP next hops listed', () => {
    const ecmp = JSON.stringify([
      { dst: '10.9.9.9', gateway: '10.0.0.2', dev: 'eth0', protocol: 'bird' },
      { dst: '10.8.0.0/24', protocol: 'bgp', nexthops: [{ gateway: '10.0.0.2' }, { gateway: '10.0.0.3' }] },
      { dst: '10.0.0.0/24', dev: 'eth0', protocol: 'kernel' },
    ]);
    expect(parseIpRouteJson(ecmp, 4)).toEqual([
      { prefix: '10.9.9.9/32', gateways: ['10.0.0.2'], protocol: 'bird', type: 'unicast' },
      { prefix: '10.8.0.0/24', gateways: ['10.0.0.2', '10.0.0.3'], protocol: 'bgp', type: 'unicast' },
    ]);
  });

  it('maps every spelling of the FSM states', () => {
    expect(['ESTABLISHED', 'Established', 'Idle (Admin)', 'OpenSent', 'opensent', 'Active', 'weird'].map(canonicalState)).toEqual([
      'Established', 'Established', 'Idle', 'OpenSent', 'OpenSent', 'Active', 'Unknown',
    ]);
  });
});

// The GoBGP FIB sync's pure half: which routes the kernel should hold for a Loc-RIB, and the route
// ops from what it holds now; and the lab's ToR/RR role options.

import { describe, expect, it } from 'vitest';
import { desiredFib, planFib } from '../../../src/lab/routers/gobgp-fib.js';
import { rrConfig, torConfig } from '../../../src/lab/routers/router.js';
import type { RouterRoute } from '../../../src/lab/routers/types.js';

const path = (prefix: string, from: string, asPath: number[], best: boolean, localPref?: number): RouterRoute => ({
  prefix,
  nextHops: from === '' ? [] : [from],
  asPath,
  best,
  ...(from !== '' ? { from } : {}),
  ...(localPref !== undefined ? { localPref } : {}),
});

describe('GoBGP FIB sync plan', () => {
  const rib = [
    path('10.244.1.0/24', '172.16.1.2', [64601], true),
    path('10.96.0.0/16', '172.16.2.2', [64602], false),
    path('10.96.0.0/16', '172.16.1.2', [64601], true),
    path('10.96.0.0/16', '172.16.3.2', [64603, 64603], false),
    path('192.0.2.0/24', '', [], true),
  ];

  it('installs the best path, ECMP over equal paths of any AS with multipath, and no local routes', () => {
    expect(desiredFib(rib, false)).toEqual([
      { prefix: '10.244.1.0/24', gateways: ['172.16.1.2'] },
      { prefix: '10.96.0.0/16', gateways: ['172.16.1.2'] },
    ]);
    expect(desiredFib(rib, true)).toContainEqual({ prefix: '10.96.0.0/16', gateways: ['172.16.1.2', '172.16.2.2'] });
  });

  it('replaces what differs, deletes what is gone, leaves what matches, one family at a time', () => {
    const desired = [...desiredFib(rib, true), { prefix: 'fd10::/64', gateways: ['fd00::2'] }];
    const current = [
      { dst: '10.244.1.0/24', gateway: '172.16.1.2', flags: [] },
      { dst: '10.96.0.0/16', gateway: '172.16.1.2', flags: [] },
      { dst: '10.244.9.0/24', gateway: '172.16.9.2', flags: [] },
      { dst: '198.51.100.1', gateway: '172.16.1.2', flags: [] },
    ];
    expect(planFib(desired, current, 4)).toEqual([
      { type: 'replace', route: { dst: '10.96.0.0/16', protocol: 'bgp', nexthops: [{ gateway: '172.16.1.2' }, { gateway: '172.16.2.2' }] } },
      { type: 'del', route: { dst: '10.244.9.0/24', protocol: 'bgp' } },
      { type: 'del', route: { dst: '198.51.100.1/32', protocol: 'bgp' } },
    ]);
    const ecmp = [{ dst: '10.96.0.0/16', flags: [], nexthops: [{ gateway: '172.16.2.2', flags: [] }, { gateway: '172.16.1.2', flags: [] }] }];
    expect(planFib(desiredFib(rib, true).filter((d) => d.prefix === '10.96.0.0/16'), ecmp, 4)).toEqual([]);
    expect(planFib(desired, [], 6)).toEqual([{ type: 'replace', route: { dst: 'fd10::/64', protocol: 'bgp', nexthops: [{ gateway: 'fd00::2' }] } }]);
  });
});

describe('lab router roles', () => {
  it('a ToR peers passively and multihop from its loopback of the neighbor’s family, with FIB and ECMP', () => {
    const c = torConfig({ routerId: '172.16.0.1', asn: 65000, loopback: { 4: '172.16.0.1', 6: 'fd00:16::1' }, nodes: [{ address: '172.16.1.2', asn: 64601 }, { address: 'fd00:16:1::2', asn: 64601 }] });
    expect(c).toMatchObject({ kernel: true, multipath: true, ipv6: true });
    expect(c.neighbors.map((n) => [n.localAddress, n.passive, n.multihop])).toEqual([
      ['172.16.0.1', true, true],
      ['fd00:16::1', true, true],
    ]);
    expect(() => torConfig({ routerId: '172.16.0.1', asn: 65000, loopback: { 4: '172.16.0.1' }, nodes: [{ address: 'fd00::2', asn: 1 }] })).toThrow(/IPv6 loopback/);
  });

  it('an RR makes every node an iBGP rr client and programs no FIB', () => {
    const c = rrConfig({ routerId: '10.0.0.10', asn: 64512, clients: ['10.0.0.1', 'fd00::1'] });
    expect(c.kernel).toBeUndefined();
    expect(c.ipv6).toBe(true);
    expect(c.neighbors.every((n) => n.rrClient === true && n.asn === 64512 && n.nextHopSelf === undefined)).toBe(true);
  });
});

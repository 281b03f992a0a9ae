// The default MTU comes from the uplink; an ECMP default route (the agent installs them) has no
// top-level dev, only nexthops[].dev. Rows are what iproute2 6.1 prints (`ip -json -batch -`) for
// a multipath default route over two links.

import { describe, expect, it } from 'vitest';
import { uplinkMtu } from '../../src/cni/uplink.js';
import { detectUplinkMtu } from '../../src/cni/wiring.js';
import { fakeRunner } from '../../src/net/fake-runner.js';

const ECMP4 = {
  dst: 'default',
  protocol: '180',
  flags: [],
  nexthops: [
    { gateway: '10.0.0.1', dev: 'd0', weight: 1, flags: [] },
    { gateway: '10.0.1.1', dev: 'd1', weight: 1, flags: [] },
  ],
};
const ECMP6 = {
  dst: 'default',
  protocol: '180',
  metric: 1024,
  flags: [],
  pref: 'medium',
  nexthops: [
    { gateway: 'fd00::1', dev: 'd0', weight: 1, flags: [] },
    { gateway: 'fd01::1', dev: 'd1', weight: 1, flags: [] },
  ],
};
const LINKS = [
  { ifindex: 1, ifname: 'lo', mtu: 65536 },
  { ifindex: 2, ifname: 'd0', mtu: 1450 },
  { ifindex: 3, ifname: 'd1', mtu: 1400 },
  { ifindex: 4, ifname: 'd2', mtu: 9000 },
];

describe('uplink MTU', () => {
  it('takes the smallest MTU among the next hops of a multipath default route', () => {
    expect(uplinkMtu([ECMP4], [], LINKS)).toBe(1400);
    expect(uplinkMtu([], [ECMP6], LINKS)).toBe(1400);
  });

  it('uses the dev of a single-path route, IPv4 before IPv6, and 1500 with no usable route', () => {
    const single = { dst: 'default', gateway: '10.0.0.1', dev: 'd2', flags: [] };
    const unreachable = { dst: 'default', type: 'unreachable', flags: [] };
    const single6 = { dst: 'default', gateway: 'fd00::1', dev: 'd0', flags: [] };
    expect(uplinkMtu([single], [ECMP6], LINKS)).toBe(9000);
    expect(uplinkMtu([unreachable], [single6], LINKS)).toBe(1450);
    expect(uplinkMtu([], [], LINKS)).toBe(1500);
    expect(uplinkMtu([{ nexthops: [{ dev: 'gone' }] }], [], LINKS)).toBe(1500);
  });

  it('reads routes and links in one ip -json -batch exec', async () => {
    const fake = fakeRunner(() => ({ stdout: [JSON.stringify([ECMP4]), JSON.stringify([ECMP6]), JSON.stringify(LINKS)].join('\n') + '\n' }));
    expect(await detectUplinkMtu(fake.run)).toBe(1400);
    expect(fake.calls).toHaveLength(1);
  });
});

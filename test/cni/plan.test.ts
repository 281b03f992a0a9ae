// Golden batches: exactly what ADD sends to ip(8) on each side, and the sysctls it writes.

import { describe, expect, it } from 'vitest';
import { containerVethName, hostVethName, podMac } from '../../src/cni/names.js';
import { planHostAdd, planHostSysctls, planPodAdd } from '../../src/cni/plan.js';
import { verifyAttachment, type Observed } from '../../src/cni/verify.js';

const dual = {
  netns: '/run/netns/p',
  ifname: 'eth0',
  hostVeth: 'mrd0123456789ab',
  podMac: '0a:01:02:03:04:05',
  mtu: 1450,
  ips: [
    { family: 4 as const, ip: '10.244.1.2' },
    { family: 6 as const, ip: 'fd00::2' },
  ],
};

describe('names', () => {
  it('container-ID veth names (no pod identity) are 15 characters, prefixed, deterministic and distinct per attachment', () => {
    const a = containerVethName('0123abcd'.repeat(8), 'eth0');
    expect(a).toMatch(/^mrd[0-9a-f]{12}$/);
    expect(a).toHaveLength(15);
    expect(containerVethName('0123abcd'.repeat(8), 'eth0')).toBe(a);
    expect(containerVethName('0123abcd'.repeat(8), 'eth1')).not.toBe(a);
    expect(hostVethName({ containerId: '0123abcd'.repeat(8), ifname: 'eth0', pod: undefined })).toBe(a);
  });
  it('pod MACs are locally administered unicast', () => {
    const m = podMac('c1', 'eth0');
    expect(m).toMatch(/^0a(:[0-9a-f]{2}){5}$/);
  });
});

describe('plan', () => {
  it('host side: one batch creating the pair with its peer in the pod netns, gateway link-local, routes', () => {
    expect(planHostAdd(dual)).toEqual([
      'link add mrd0123456789ab mtu 1450 address ee:ee:ee:ee:ee:ee type veth peer name eth0 mtu 1450 address 0a:01:02:03:04:05 netns /run/netns/p',
      'link set mrd0123456789ab addrgenmode none',
      'addr add fe80::ecee:eeff:feee:eeee/64 dev mrd0123456789ab nodad',
      'link set mrd0123456789ab up',
      'route replace 10.244.1.2/32 dev mrd0123456789ab scope link proto 181',
      'route replace fd00::2/128 dev mrd0123456789ab proto 181',
    ]);
  });
  it('host sysctls touch only the host veth', () => {
    const keys = planHostSysctls(dual).map(([k]) => k);
    expect(keys.every((k) => k.includes('/mrd0123456789ab/'))).toBe(true);
    expect(planHostSysctls(dual)).toContainEqual(['net/ipv4/conf/mrd0123456789ab/proxy_arp', '1']);
  });
  it('pod side: /32 and /128, link route to 169.254.1.1, default routes', () => {
    expect(planPodAdd(dual)).toEqual([
      'addr add 10.244.1.2/32 dev eth0',
      'addr add fd00::2/128 dev eth0 nodad',
      'link set eth0 up',
      'route add 169.254.1.1 dev eth0 scope link',
      'route add default via 169.254.1.1 dev eth0',
      'route add ::/0 via fe80::ecee:eeff:feee:eeee dev eth0',
    ]);
  });
  it('refuses a netns path that would break the batch line', () => {
    expect(() => planHostAdd({ ...dual, netns: '/run/netns/a b' })).toThrow(/unsafe token/);
  });
});

describe('verify', () => {
  const healthy: Observed = {
    hostLink: { ifname: 'mrd0123456789ab', address: 'ee:ee:ee:ee:ee:ee', flags: ['UP'], linkinfo: { info_kind: 'veth' } },
    hostRoutes: [[{ dst: '10.244.1.2', dev: 'mrd0123456789ab' }], [{ dst: 'fd00::2', dev: 'mrd0123456789ab' }]],
    proxyArp: '1',
    podLink: {
      ifname: 'eth0',
      address: '0a:01:02:03:04:05',
      flags: ['UP'],
      linkinfo: { info_kind: 'veth' },
      addr_info: [
        { family: 'inet', local: '10.244.1.2', prefixlen: 32 },
        { family: 'inet6', local: 'fd00::2', prefixlen: 128 },
      ],
    },
    podRoutes4: [
      { dst: 'default', gateway: '169.254.1.1', dev: 'eth0' },
      { dst: '169.254.1.1', dev: 'eth0', scope: 'link' },
    ],
    podRoutes6: [{ dst: 'default', gateway: 'fe80::ecee:eeff:feee:eeee', dev: 'eth0' }],
    reserved: ['10.244.1.2', 'fd00::2'],
  };
  const exp = { ifname: 'eth0', hostVeth: 'mrd0123456789ab', podMac: '0a:01:02:03:04:05', ips: dual.ips };

  it('finds nothing wrong with a healthy attachment', () => {
    expect(verifyAttachment(exp, healthy)).toEqual([]);
  });
  it.each<[string, Partial<Observed>, RegExp]>([
    ['host veth gone', { hostLink: undefined }, /host veth mrd0123456789ab is missing/],
    ['host veth down', { hostLink: { ...healthy.hostLink!, flags: [] } }, /is down/],
    ['proxy_arp off', { proxyArp: '0' }, /proxy_arp/],
    ['host route gone', { hostRoutes: [[], healthy.hostRoutes[1]!] }, /host route to 10\.244\.1\.2/],
    ['pod address gone', { podLink: { ...healthy.podLink!, addr_info: [] } }, /eth0 lacks 10\.244\.1\.2\/32/],
    ['pod MAC changed', { podLink: { ...healthy.podLink!, address: '0a:00:00:00:00:01' } }, /MAC/],
    ['v6 default gone', { podRoutes6: [] }, /fe80::ecee:eeff:feee:eeee is missing/],
    ['reservation lost', { reserved: ['fd00::2'] }, /no reservation of 10\.244\.1\.2/],
    ['extra reservation', { reserved: [...healthy.reserved, '10.244.1.9'] }, /10\.244\.1\.9/],
  ])('%s', (_what, patch, problem) => {
    expect(verifyAttachment(exp, { ...healthy, ...patch }).join('\n')).toMatch(problem);
  });
  it('reports a host interface in prevResult other than the recorded veth', () => {
    expect(verifyAttachment({ ...exp, resultHostVeth: 'mrd0123456789ab' }, healthy)).toEqual([]);
    expect(verifyAttachment({ ...exp, resultHostVeth: 'mrdffffffffffff' }, healthy).join('\n')).toMatch(/prevResult names host interface mrdffffffffffff/);
  });
});

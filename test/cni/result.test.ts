import { describe, expect, it } from 'vitest';
import { attachmentResult } from '../../src/cni/plan.js';
import { findAttachment, mergeResults, parsePrevResult, toVersion } from '../../src/cni/result.js';

const w = {
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

describe('results across versions', () => {
  const ours = attachmentResult(w, { dns: undefined });

  it('1.1.0 carries interface mtu; no ips[].version', () => {
    expect(toVersion(ours, '1.1.0')).toEqual({
      cniVersion: '1.1.0',
      interfaces: [
        { name: 'mrd0123456789ab', mac: 'ee:ee:ee:ee:ee:ee', mtu: 1450 },
        { name: 'eth0', mac: '0a:01:02:03:04:05', mtu: 1450, sandbox: '/run/netns/p' },
      ],
      ips: [
        { address: '10.244.1.2/32', gateway: '169.254.1.1', interface: 1 },
        { address: 'fd00::2/128', gateway: 'fe80::ecee:eeff:feee:eeee', interface: 1 },
      ],
      routes: [
        { dst: '0.0.0.0/0', gw: '169.254.1.1' },
        { dst: '::/0', gw: 'fe80::ecee:eeff:feee:eeee' },
      ],
    });
  });

  it('1.0.0 drops 1.1-only fields', () => {
    const r = toVersion({ ...ours, routes: [{ dst: '0.0.0.0/0', gw: '169.254.1.1', mtu: 1400, scope: 0 }] }, '1.0.0');
    expect((r['interfaces'] as object[])[0]).toEqual({ name: 'mrd0123456789ab', mac: 'ee:ee:ee:ee:ee:ee' });
    expect(r['routes']).toEqual([{ dst: '0.0.0.0/0', gw: '169.254.1.1' }]);
  });

  it('0.4.0 adds ips[].version', () => {
    const r = toVersion(ours, '0.4.0');
    expect((r['ips'] as { version: string }[]).map((i) => i.version)).toEqual(['4', '6']);
  });

  it('round-trips through prevResult and merges after a loopback result, shifting indexes', () => {
    const lo = parsePrevResult({
      cniVersion: '1.0.0',
      interfaces: [{ name: 'lo', mac: '00:00:00:00:00:00', sandbox: '/run/netns/p' }],
      ips: [{ address: '127.0.0.1/8', interface: 0 }],
      dns: {},
    });
    const merged = mergeResults(lo, ours);
    expect(merged.interfaces.map((i) => i.name)).toEqual(['lo', 'mrd0123456789ab', 'eth0']);
    expect(merged.ips.map((i) => i.interface)).toEqual([0, 2, 2]);
    expect(merged.dns).toBeUndefined();
    const back = parsePrevResult(toVersion(merged, '0.4.0'));
    expect(findAttachment(back!, 'eth0', '/run/netns/p')?.ips.map((i) => i.address)).toEqual(['10.244.1.2/32', 'fd00::2/128']);
    expect(findAttachment(back!, 'eth0', '/run/netns/other')).toBeUndefined();
  });

  it('prevResult that is not an object is absent', () => {
    expect(parsePrevResult(undefined)).toBeUndefined();
    expect(parsePrevResult('x')).toBeUndefined();
  });
});

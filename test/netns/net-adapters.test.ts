// src/net against the real kernel tools, each test inside namespaces it makes. Proves the adapters'
// argv, batching and namespace handling work, and that the root namespace is never touched.

import { describe, expect, it } from 'vitest';
import { conntrackDelete } from '../../src/net/conntrack.js';
import { execRunner as run } from '../../src/net/exec.js';
import { applyRouteOps, ipBatch, listAddresses, listLinks, listRoutes } from '../../src/net/ip.js';
import { iptablesRestore, iptablesSave, parseIptablesSave } from '../../src/net/iptables.js';
import { ipsetRestore, ipsetSave, parseIpsetSave } from '../../src/net/ipset.js';
import { ExecError } from '../../src/net/runner.js';
import { sysctlGet, sysctlSet } from '../../src/net/sysctl.js';
import { withWorld } from '../harness/netns.js';

describe('execRunner', () => {
  it('reports argv, exit code and stderr of a failing command', async () => {
    const e = await run({ argv: ['ip', 'link', 'show', 'dev', 'no-such-link-x'] }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ExecError);
    expect((e as ExecError).argv).toEqual(['ip', 'link', 'show', 'dev', 'no-such-link-x']);
    expect((e as ExecError).exitCode).toBe(1);
    expect((e as ExecError).stderr).toMatch(/does not exist/);
  });

  it('reports a missing program without an exit code', async () => {
    const e = await run({ argv: ['meridian-no-such-tool'] }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ExecError);
    expect((e as ExecError).exitCode).toBeUndefined();
    expect((e as ExecError).message).toMatch(/ENOENT/);
  });
});

describe('ip adapter in a namespace', () => {
  it('applies routes in one batch, reads them back by protocol, deletes them', async () => {
    await withWorld(async (w) => {
      const node = await w.netns('node');
      const peer = await w.netns('peer');
      const peer2 = await w.netns('peerb');
      await w.link(node, peer, { addrA: ['192.0.2.1/24', '2001:db8::1/64'], addrB: '192.0.2.2/24' });
      await w.link(node, peer2, { addrA: '198.51.100.1/24', addrB: '198.51.100.2/24' });
      await applyRouteOps(
        run,
        [
          { type: 'replace', route: { dst: '10.244.1.0/24', nexthops: [{ gateway: '192.0.2.2', dev: 'eth0' }], protocol: 180 } },
          {
            type: 'replace',
            route: {
              dst: '10.244.2.0/24',
              nexthops: [
                { gateway: '192.0.2.2', dev: 'eth0' },
                { gateway: '198.51.100.2', dev: 'eth1' },
              ],
              protocol: 180,
            },
          },
          { type: 'replace', route: { dst: '10.244.0.0/24', type: 'blackhole', protocol: 180 } },
          { type: 'replace', route: { dst: 'fd00:10:244::/64', type: 'unreachable', protocol: 180 } },
          // Next hop outside any connected subnet: only valid with onlink.
          { type: 'replace', route: { dst: '10.244.3.0/24', nexthops: [{ gateway: '203.0.113.9', dev: 'eth0', onlink: true }], protocol: 180 } },
        ],
        { netns: node.name },
      );
      const v4 = await listRoutes(run, { family: 4, protocol: 180, netns: node.name });
      expect(v4.map((r) => r.dst).sort()).toEqual(['10.244.0.0/24', '10.244.1.0/24', '10.244.2.0/24', '10.244.3.0/24']);
      expect(v4.find((r) => r.dst === '10.244.0.0/24')?.type).toBe('blackhole');
      expect(v4.find((r) => r.dst === '10.244.2.0/24')?.nexthops?.map((h) => h.gateway)).toEqual(['192.0.2.2', '198.51.100.2']);
      expect(v4.find((r) => r.dst === '10.244.3.0/24')?.flags).toContain('onlink');
      const v6 = await listRoutes(run, { family: 6, protocol: 180, netns: node.name });
      expect(v6).toMatchObject([{ dst: 'fd00:10:244::/64', type: 'unreachable' }]);
      // Connected routes (protocol kernel) are not ours and not listed.
      expect(v4.some((r) => r.dst === '192.0.2.0/24')).toBe(false);

      // Replaying the same batch is harmless (replace), and deleting removes only ours.
      await applyRouteOps(
        run,
        ['10.244.0.0/24', '10.244.1.0/24', '10.244.2.0/24', '10.244.3.0/24'].map((dst) => ({ type: 'del' as const, route: { dst, protocol: 180 } })),
        { netns: node.name },
      );
      expect(await listRoutes(run, { family: 4, protocol: 180, netns: node.name })).toEqual([]);
      expect((await listRoutes(run, { family: 4, netns: node.name })).map((r) => r.dst).sort()).toEqual(['192.0.2.0/24', '198.51.100.0/24']);
    });
  });

  it('stops at the first bad batch line and names it', async () => {
    await withWorld(async (w) => {
      const node = await w.netns('node');
      const e = await ipBatch(run, ['route replace blackhole 10.1.0.0/24', 'route replace 10.2.0.0/24 via 203.0.113.1'], { netns: node.name }).catch(
        (x: unknown) => x,
      );
      expect(e).toBeInstanceOf(ExecError);
      expect((e as ExecError).stderr).toContain('Command failed -:2');
    });
  });

  it('lists links and addresses, also through a namespace path', async () => {
    await withWorld(async (w) => {
      const a = await w.netns('a');
      const b = await w.netns('b');
      await w.link(a, b, { addrA: '192.0.2.1/24', nameA: 'up0', nameB: 'down0' });
      const links = await listLinks(run, { netns: `/run/netns/${a.name}`, detailed: true });
      expect(links.map((l) => l.ifname).sort()).toEqual(['lo', 'up0']);
      expect(links.find((l) => l.ifname === 'up0')?.linkinfo?.info_kind).toBe('veth');
      const addrs = await listAddresses(run, { netns: a.name, dev: 'up0' });
      expect(addrs[0]?.addr_info.filter((x) => x.family === 'inet')).toMatchObject([{ local: '192.0.2.1', prefixlen: 24 }]);
    });
  });
});

describe('iptables, ipset, sysctl, conntrack in a namespace', () => {
  it('restores our chains with --noflush and keeps foreign rules', async () => {
    await withWorld(async (w) => {
      const node = await w.netns('node');
      await w.exec(node, ['iptables', '-N', 'KUBE-SERVICES']);
      await w.exec(node, ['iptables', '-A', 'FORWARD', '-j', 'KUBE-SERVICES']);
      await w.exec(node, ['iptables', '-A', 'KUBE-SERVICES', '-d', '10.96.0.1/32', '-j', 'ACCEPT']);
      const ours = (rule: string) => `*filter\n:MERIDIAN-FORWARD - [0:0]\n-A MERIDIAN-FORWARD ${rule}\nCOMMIT\n`;
      await iptablesRestore(run, ours('-m conntrack --ctstate INVALID -j DROP'), { family: 4, netns: node.name });
      // A second restore replaces our chain's contents atomically.
      await iptablesRestore(run, ours('-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT'), { family: 4, netns: node.name });
      const t = parseIptablesSave(await iptablesSave(run, { family: 4, table: 'filter', netns: node.name })).get('filter');
      expect(t?.chains.get('MERIDIAN-FORWARD')?.rules).toEqual(['-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT']);
      expect(t?.chains.get('KUBE-SERVICES')?.rules).toEqual(['-d 10.96.0.1/32 -j ACCEPT']);
      expect(t?.chains.get('FORWARD')?.rules).toEqual(['-j KUBE-SERVICES']);

      await iptablesRestore(run, '*filter\n:MERIDIAN-FORWARD - [0:0]\nCOMMIT\n', { family: 6, netns: node.name });
      const t6 = parseIptablesSave(await iptablesSave(run, { family: 6, table: 'filter', netns: node.name })).get('filter');
      expect(t6?.chains.has('MERIDIAN-FORWARD')).toBe(true);
    });
  });

  it('restores ipsets in one batch, idempotently with -exist', async () => {
    await withWorld(async (w) => {
      const node = await w.netns('node');
      const lines = ['create mrd-test hash:net family inet', 'add mrd-test 10.0.0.0/8', 'add mrd-test 10.1.0.0/16 nomatch'];
      await ipsetRestore(run, lines, { netns: node.name });
      await expect(ipsetRestore(run, lines, { netns: node.name })).rejects.toBeInstanceOf(ExecError);
      await ipsetRestore(run, lines, { netns: node.name, exist: true });
      const sets = parseIpsetSave(await ipsetSave(run, { netns: node.name }));
      expect(sets.get('mrd-test')?.type).toBe('hash:net');
      expect(sets.get('mrd-test')?.members.sort()).toEqual(['10.0.0.0/8', '10.1.0.0/16 nomatch']);
    });
  });

  it('sets sysctls only inside the namespace', async () => {
    await withWorld(async (w) => {
      const node = await w.netns('node');
      const rootBefore = await sysctlGet(run, 'net.ipv4.ip_forward');
      await sysctlSet(run, { 'net.ipv4.ip_forward': rootBefore === '1' ? 0 : 1, 'net.ipv4.conf.lo.rp_filter': 2 }, { netns: node.name });
      expect(await sysctlGet(run, 'net.ipv4.ip_forward', { netns: node.name })).toBe(rootBefore === '1' ? '0' : '1');
      expect(await sysctlGet(run, 'net/ipv4/conf/lo/rp_filter', { netns: node.name })).toBe('2');
      expect(await sysctlGet(run, 'net.ipv4.ip_forward')).toBe(rootBefore);
    });
  });

  it('deletes conntrack flows, counting none as success', async () => {
    await withWorld(async (w) => {
      const node = await w.netns('node');
      expect(await conntrackDelete(run, { family: 4, dst: '10.244.0.5', netns: node.name })).toBe(0);
    });
  });
});

// eBGP TTL in the kernel: two Meridian nodes with a router between them. Single-hop eBGP (TTL 1,
// the default) cannot form a session through the router; ebgpMultihop 2 can; GTSM (RFC 5082)
// with 2 hops accepts the peer, with 1 hop drops it.

import { describe, expect, it } from 'vitest';
import { startMeridian, type MeridianNode } from '../harness/meridian-node.js';
import { withWorld, type World } from '../harness/netns.js';

type Extra = Record<string, unknown>;

async function pair(w: World, extraA: Extra, extraB: Extra): Promise<[MeridianNode, MeridianNode]> {
  const r = await w.netns('router');
  const a = await w.netns('nodea');
  const b = await w.netns('nodeb');
  await w.link(a, r, { addrA: '192.0.2.1/30', addrB: '192.0.2.2/30' });
  await w.link(b, r, { addrA: '198.51.100.1/30', addrB: '198.51.100.2/30' });
  await w.sysctl(r, { 'net.ipv4.ip_forward': 1 });
  await w.exec(a, ['ip', 'route', 'add', 'default', 'via', '192.0.2.2']);
  await w.exec(b, ['ip', 'route', 'add', 'default', 'via', '198.51.100.2']);
  const node = (ns: typeof a, name: string, ip: string, asn: number, peerIp: string, peerAsn: number, extra: Extra) =>
    startMeridian(w, {
      ns,
      name,
      ips: [ip],
      podCIDRs: [name === 'node-a' ? '10.244.1.0/24' : '10.244.2.0/24'],
      config: { clusterCIDRs: ['10.244.0.0/16'], bgp: { asn, nodeMesh: false, peers: [{ address: peerIp, asn: peerAsn, holdTime: 9, ...extra }] } },
    });
  return [node(a, 'node-a', '192.0.2.1', 65001, '198.51.100.1', 65002, extraA), node(b, 'node-b', '198.51.100.1', 65002, '192.0.2.1', 65001, extraB)];
}

async function stateAfter(n: MeridianNode, ms: number): Promise<string | undefined> {
  await new Promise((r) => setTimeout(r, ms));
  return (await n.status()).peers[0]?.state;
}

describe('eBGP TTL', () => {
  it('single-hop eBGP does not cross a router; multihop 2 does', async () => {
    await withWorld(async (w) => {
      const [a] = await pair(w, {}, {});
      expect(await stateAfter(a, 6000)).not.toBe('Established');
    });
    await withWorld(async (w) => {
      const [a] = await pair(w, { ebgpMultihop: 2 }, { ebgpMultihop: 2 });
      await a.waitEstablished('198.51.100.1', 20_000);
    });
  }, 60_000);

  it('GTSM accepts a peer within the hop count and drops one beyond it', async () => {
    await withWorld(async (w) => {
      const [a] = await pair(w, { ttlSecurity: { hops: 2 } }, { ttlSecurity: { hops: 2 } });
      await a.waitEstablished('198.51.100.1', 20_000);
    });
    await withWorld(async (w) => {
      const [a] = await pair(w, { ttlSecurity: { hops: 1 } }, { ttlSecurity: { hops: 2 } });
      expect(await stateAfter(a, 6000)).not.toBe('Established');
    });
  }, 60_000);
});

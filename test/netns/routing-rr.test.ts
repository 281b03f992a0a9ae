// Issue 5, route-reflector topology: node-a carries kube-router's `kube-router.io/rr.server`
// annotation with a numeric cluster ID ("42", as kube-router users write it); the mesh then runs
// through it: the two other nodes peer with node-a only, node-a with both as its clients. A route
// from one client reaches the other reflected, next hop unchanged (so pod traffic goes straight
// to the owning node, not through the reflector), with ORIGINATOR_ID = the originating node and
// CLUSTER_LIST = [0.0.0.42] (RFC 4456 8), as the status API's /rib shows.

import { describe, expect, it } from 'vitest';
import { withWorld } from '../harness/netns.js';
import { routingLan, type LanNode } from '../harness/routing-lan.js';
import { canPing, cniPod, ourRoutes, tcpExchange } from '../harness/routing-pods.js';
import { waitFor } from '../harness/wait.js';

describe('route reflector from a node annotation', () => {
  it('clients peer only with the reflector, learn each other\'s podCIDRs reflected, and their pods reach each other directly', async () => {
    await withWorld(async (w) => {
      const { nodes } = await routingLan(w, [{ name: 'node-a', metadata: { annotations: { 'kube-router.io/rr.server': '42' } } }, { name: 'node-b' }, { name: 'node-c' }]);
      const [a, b, c] = nodes as [LanNode, LanNode, LanNode];

      for (const [n, other] of [[b, c], [c, b]] as const) {
        await waitFor(async () => (await ourRoutes(n.ns)).get(other.podCidr)?.gateway === other.ip, {
          timeoutMs: 20_000,
          intervalMs: 100,
          what: `${n.agent.name} to install ${other.podCidr} via ${other.ip} (reflected by node-a)`,
        }).catch((e: unknown) => {
          throw new Error(`${(e as Error).message}\n${n.agent.logs()}\n--- node-a ---\n${a.agent.logs()}`);
        });
        // Only the reflector is a peer of a client.
        expect((await n.agent.status()).peers.map((p) => [p.address, p.state])).toEqual([[a.ip, 'Established']]);
        const rib = await n.agent.rib();
        expect(rib.find((r) => r.prefix === other.podCidr)).toMatchObject({
          from: a.ip,
          nextHops: [other.ip],
          originatorId: other.ip,
          clusterList: ['0.0.0.42'],
        });
        // The reflector's own podCIDR is not reflected: no ORIGINATOR_ID, no CLUSTER_LIST.
        const fromA = rib.find((r) => r.prefix === a.podCidr);
        expect(fromA?.from).toBe(a.ip);
        expect(fromA?.originatorId).toBeUndefined();
        expect(fromA?.clusterList).toBeUndefined();
      }
      expect((await a.agent.status()).peers.map((p) => p.address).sort()).toEqual([b.ip, c.ip]);
      expect(await ourRoutes(a.ns).then((rs) => [rs.get(b.podCidr)?.gateway, rs.get(c.podCidr)?.gateway])).toEqual([b.ip, c.ip]);

      const pb = await cniPod(w, b.ns, b.agent, 'podb');
      const pc = await cniPod(w, c.ns, c.agent, 'podc');
      const pa = await cniPod(w, a.ns, a.agent, 'poda');
      expect(await canPing(w, pb.ns, pc.ip)).toBe(true);
      // Straight from b to c: TTL 64 -> 63 at b -> 62 at c; through a it would be 61.
      const ttl = /ttl=(\d+)/.exec((await w.exec(pb.ns, ['ping', '-c', '1', '-W', '2', pc.ip])).stdout)?.[1];
      expect(ttl).toBe('62');
      await tcpExchange(w, pc, pb);
      expect(await canPing(w, pa.ns, pc.ip)).toBe(true);
    });
  }, 90_000);
});

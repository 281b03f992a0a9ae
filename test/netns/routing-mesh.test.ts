// Issue 5, node routing on one L2 segment: three nodes running `meridian bgp run` over a shared
// files datastore holding nothing but their Node manifests form the iBGP full mesh by themselves
// (one side dials, by numeric address), install each other's podCIDRs, and pods wired by a real
// meridian-cni ADD (its usePodCidr read from the node file the agent wrote) reach pods on other
// nodes by routing alone, ICMP and TCP, without NAT. Then a node leaves (process stopped, Node
// manifest deleted) and its podCIDR is withdrawn from every other node's kernel, well before the
// graceful-restart time that would otherwise keep it.

import { readFileSync, rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { withWorld } from '../harness/netns.js';
import { routingLan, type LanNode } from '../harness/routing-lan.js';
import { canPing, cniPod, ourRoutes, tcpExchange } from '../harness/routing-pods.js';
import { waitFor } from '../harness/wait.js';

async function waitRoutes(n: LanNode, want: (routes: Map<string, { gateway?: string | undefined; type?: string | undefined }>) => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  await waitFor(async () => want(await ourRoutes(n.ns)), { timeoutMs, intervalMs: 100, what }).catch((e: unknown) => {
    throw new Error(`${(e as Error).message}\n${n.agent.logs()}`);
  });
}

describe('node mesh from Node manifests alone', () => {
  it('three nodes mesh, pods wired by meridian-cni reach each other across nodes, and a leaving node is withdrawn everywhere', async () => {
    await withWorld(async (w) => {
      const { nodes } = await routingLan(w, [{ name: 'node-a' }, { name: 'node-b' }, { name: 'node-c' }]);
      const [a, b, c] = nodes as [LanNode, LanNode, LanNode];

      // Every node installs the two other podCIDRs via their owners, and a blackhole for its own.
      for (const n of nodes) {
        const others = nodes.filter((o) => o !== n);
        await waitRoutes(n, (rs) => others.every((o) => rs.get(o.podCidr)?.gateway === o.ip), `${n.agent.name} to install ${others.map((o) => o.podCidr).join(', ')}`);
        expect((await ourRoutes(n.ns)).get(n.podCidr)?.type).toBe('blackhole');
      }
      // The mesh: every node has exactly the two others as peers, established; the higher
      // address of each pair is the passive side (no collisions).
      for (const n of nodes) {
        const st = await n.agent.status();
        expect(st.peers.map((p) => [p.address, p.state]).sort()).toEqual(
          nodes.filter((o) => o !== n).map((o) => [o.ip, 'Established']),
        );
      }

      // The agent wrote the CNI node file; pods get addresses from their node's podCIDR.
      expect(JSON.parse(readFileSync(a.agent.nodeFile, 'utf8'))).toEqual({ nodeName: 'node-a', podCIDRs: [a.podCidr] });
      const pa = await cniPod(w, a.ns, a.agent, 'poda');
      const pb = await cniPod(w, b.ns, b.agent, 'podb');
      const pc = await cniPod(w, c.ns, c.agent, 'podc');
      expect(pa.ip.startsWith('10.244.1.')).toBe(true);
      expect(pb.ip.startsWith('10.244.2.')).toBe(true);
      expect(await canPing(w, pa.ns, pb.ip)).toBe(true);
      expect(await canPing(w, pa.ns, pc.ip)).toBe(true);
      expect(await canPing(w, pc.ns, pb.ip)).toBe(true);
      await tcpExchange(w, pa, pb);
      await tcpExchange(w, pc, pa, 8081);
      // An unallocated address in b's podCIDR is dropped at b (blackhole), not looped.
      expect(await canPing(w, pa.ns, '10.244.2.250', 1)).toBe(false);

      // Node c leaves: its agent stops gracefully (no NOTIFICATION, so a and b keep its routes as
      // stale for the 30 s restart time) and then its Node object is deleted: the mesh drops it
      // and its routes go at once.
      c.agent.proc.kill('SIGTERM');
      await c.agent.proc.exited;
      await new Promise((r) => setTimeout(r, 500));
      expect((await ourRoutes(a.ns)).has(c.podCidr)).toBe(true);
      rmSync(c.agent.manifest);
      const t0 = Date.now();
      for (const n of [a, b]) {
        await waitRoutes(n, (rs) => !rs.has(c.podCidr) && rs.has(nodes.find((o) => o !== n && o !== c)?.podCidr ?? ''), `${n.agent.name} to withdraw ${c.podCidr}`, 10_000);
        expect((await n.agent.status()).peers.map((p) => p.address)).not.toContain(c.ip);
      }
      expect(Date.now() - t0).toBeLessThan(10_000);
      expect(await canPing(w, pa.ns, pb.ip)).toBe(true);
    });
  }, 90_000);
});

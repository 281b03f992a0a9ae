// Issue 5, agent restart: SIGKILL of a node's agent (no chance to say anything to its peers or
// the kernel), then a new start. Forwarding never stops: the kernel keeps the routes while the
// agent is gone, the peers keep the node's routes (graceful restart helper: TCP loss without
// NOTIFICATION), and the restarted agent adopts the routes it finds (protocol 180) without
// deleting or re-adding any of them. Watched two ways in every node namespace during the whole
// restart: `ip monitor route` (every kernel route event) and `ip -json route show proto 180`
// polled every 50 ms; plus a 10 Hz ping between pods on the restarted node and another.

import { describe, expect, it } from 'vitest';
import { withWorld, type Proc } from '../harness/netns.js';
import { routingLan, type LanNode } from '../harness/routing-lan.js';
import { cniPod, ourRoutes } from '../harness/routing-pods.js';
import { waitFor } from '../harness/wait.js';

describe('agent restart (SIGKILL, then start)', () => {
  it('keeps forwarding and adopts the kernel routes without a flap', async () => {
    await withWorld(async (w) => {
      const { nodes } = await routingLan(w, [{ name: 'node-a' }, { name: 'node-b' }, { name: 'node-c' }]);
      const [a, b] = nodes as [LanNode, LanNode, LanNode];
      const full = (n: LanNode) => nodes.filter((o) => o !== n).map((o) => o.podCidr);
      for (const n of nodes) {
        await waitFor(async () => ((rs) => full(n).every((p) => rs.has(p)))(await ourRoutes(n.ns)), {
          timeoutMs: 30_000,
          intervalMs: 100,
          what: `${n.agent.name} to install the other podCIDRs`,
        }).catch((e: unknown) => {
          throw new Error(`${(e as Error).message}\n${n.agent.logs()}`);
        });
      }
      const pa = await cniPod(w, a.ns, a.agent, 'poda');
      const pb = await cniPod(w, b.ns, b.agent, 'podb');

      // Watchers, started before the kill.
      const monitors = new Map<LanNode, Proc>(nodes.map((n) => [n, w.spawn(n.ns, ['ip', '-4', 'monitor', 'route'])]));
      const snapshots = new Map<LanNode, string[][]>(nodes.map((n) => [n, []]));
      let polling = true;
      const pollers = nodes.map(async (n) => {
        while (polling) {
          snapshots.get(n)?.push([...(await ourRoutes(n.ns)).keys()].sort());
          await new Promise((r) => setTimeout(r, 50));
        }
      });
      const pinger = w.spawn(pb.ns, ['ping', '-i', '0.1', '-W', '1', pa.ip]);
      await new Promise((r) => setTimeout(r, 500));

      a.agent.proc.kill('SIGKILL');
      await a.agent.proc.exited;
      await new Promise((r) => setTimeout(r, 1000));
      const t0 = Date.now();
      a.agent.restart();
      // The restarted agent finds protocol-180 routes, restarts gracefully, and ends the restart
      // when both peers have sent End-of-RIB (not by the 30 s timer).
      await waitFor(async () => ((s) => s !== undefined && !s.restarting && s.peers.every((p) => p.state === 'Established'))(await a.agent.status().catch(() => undefined)), {
        timeoutMs: 20_000,
        intervalMs: 100,
        what: 'node-a to finish its graceful restart',
      }).catch((e: unknown) => {
        throw new Error(`${(e as Error).message}\n${a.agent.logs()}`);
      });
      expect(Date.now() - t0).toBeLessThan(20_000);
      const log = a.agent.proc.output().stderr;
      expect(log).toContain('restarting with routes in the kernel');
      expect(log).toMatch(/"why":"every peer sent End-of-RIB".*graceful restart done/);
      // Adopted as they are: the reconcile that ends the restart found nothing to change (it logs
      // only when it applied operations).
      expect(log).not.toContain('kernel routes reconciled');
      // Let the reconcile that ends the restart (and anything peers do after it) happen.
      await new Promise((r) => setTimeout(r, 1500));
      polling = false;
      await Promise.all(pollers);
      // Control: the monitors do see protocol-180 events (so the empty lists below mean something).
      // The next reconcile would delete this route as ours-but-unwanted; it is gone before that matters.
      const outputs = new Map<LanNode, string>();
      for (const n of nodes) {
        outputs.set(n, monitors.get(n)?.output().stdout ?? '');
        await w.exec(n.ns, ['ip', 'route', 'add', 'blackhole', '10.250.0.0/24', 'proto', '180', 'metric', '99']);
        await waitFor(() => (monitors.get(n)?.output().stdout ?? '').includes('10.250.0.0/24'), { timeoutMs: 3000, what: `ip monitor in ${n.agent.name} to report a test route` });
        await w.exec(n.ns, ['ip', 'route', 'del', 'blackhole', '10.250.0.0/24', 'proto', '180', 'metric', '99'], { okExitCodes: [2] });
      }
      pinger.kill('SIGINT');
      await pinger.exited;

      const m = /(\d+) packets transmitted, (\d+) received/.exec(pinger.output().stdout);
      expect(m, pinger.output().stdout).not.toBeNull();
      expect(Number(m?.[1])).toBeGreaterThan(20);
      expect(Number(m?.[2])).toBe(Number(m?.[1]));

      for (const n of nodes) {
        const want = [...full(n), n.podCidr].sort();
        // Every 50 ms sample had every route of ours.
        const samples = snapshots.get(n) ?? [];
        expect(samples.length).toBeGreaterThan(20);
        for (const s of samples) expect(s).toEqual(want);
        // And the kernel saw no event on them at all: no delete, no re-add, no replace.
        const events = (outputs.get(n) ?? '').split('\n').filter((l) => l.includes('proto 180'));
        expect(events, `${n.agent.name}: ${events.join('\n')}`).toEqual([]);
      }
    });
  }, 90_000);
});

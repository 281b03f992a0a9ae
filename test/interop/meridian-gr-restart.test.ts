// Graceful restart, Meridian as the restarting speaker (RFC 4724 4.1): `meridian bgp run` is
// SIGKILLed and started again while BIRD and FRR (GR helpers) peer with it. Nothing flaps:
// - the daemons' Loc-RIBs keep Meridian's podCIDR throughout (helper mode, polled);
// - Meridian's kernel routes stay in place: polled every 50 ms they are never absent, and
//   `ip monitor route` in its namespace sees no deletion of them at all (the restarted process
//   adopts them rather than deleting and re-adding);
// - the restarted process says it took the graceful-restart path and ends it on End-of-RIB.

import { describe, expect, it } from 'vitest';
import { startBird, startFrr, prefixRange, type BgpDaemon } from '../harness/bgp-daemons/index.js';
import { startMeridian } from '../harness/meridian-node.js';
import { withWorld } from '../harness/netns.js';
import { waitFor } from '../harness/wait.js';
import { watchKernel, watchPresent } from './fib-watch.js';
import { waitKernel } from './kernel-routes.js';
import { lan, type LanHost } from './lan.js';
import { waitLearned } from './routes-wait.js';

const POD = '10.244.1.0/24';

describe('Meridian SIGKILLed and restarted', () => {
  it('keeps its routes at BIRD and FRR (helpers) and in its kernel: nothing flaps', async () => {
    await withWorld(async (w) => {
      const [m, b, f] = (await lan(w, ['meridian', 'bird', 'frr'])) as [LanHost, LanHost, LanHost];
      const neighbor = { address: m.v4, asn: 64512, gracefulRestart: true };
      const [bird, frr] = await Promise.all([
        startBird(w, { ns: b.ns, routerId: b.v4, asn: 65001, neighbors: [neighbor] }),
        startFrr(w, { ns: f.ns, routerId: f.v4, asn: 65002, neighbors: [neighbor] }),
      ]);
      const fromBird = prefixRange('10.20.0.0', 20, 24);
      const fromFrr = prefixRange('10.21.0.0', 20, 24);
      await Promise.all([bird.announce(fromBird), frr.announce(fromFrr)]);
      const node = startMeridian(w, {
        ns: m.ns,
        name: 'node-a',
        ips: [m.v4],
        podCIDRs: [POD],
        config: {
          clusterCIDRs: ['10.20.0.0/15'],
          bgp: {
            asn: 64512,
            nodeMesh: false,
            peers: [
              { address: b.v4, asn: 65001, holdTime: 9 },
              { address: f.v4, asn: 65002, holdTime: 9 },
            ],
          },
        },
      });
      for (const a of [b.v4, f.v4]) await node.waitEstablished(a);
      await waitKernel(node, m.ns.name, { 4: 40, 6: 0 });
      for (const d of [bird, frr]) await waitLearned(d, 4, m.v4, [POD]);

      const monitor = w.spawn(m.ns, ['ip', '-4', 'monitor', 'route']);
      const kernel = watchKernel(m.ns.name, 4, [...fromBird, ...fromFrr]);
      const atPeer = (d: BgpDaemon) => watchPresent(async () => new Set((await d.routes(4)).filter((r) => r.from === m.v4).map((r) => r.prefix)), [POD], 100);
      const peers = [atPeer(bird), atPeer(frr)];
      await new Promise((r) => setTimeout(r, 300));

      node.proc.kill('SIGKILL');
      await node.proc.exited;
      // The daemons notice the TCP loss and keep our routes as stale.
      await new Promise((r) => setTimeout(r, 1000));
      node.restart();
      await waitFor(() => node.proc.output().stderr.includes('graceful restart done'), {
        timeoutMs: 20_000,
        what: 'the restarted Meridian to finish its graceful restart',
      }).catch((e: unknown) => {
        throw new Error(`${(e as Error).message}\n${node.logs()}`);
      });
      for (const a of [b.v4, f.v4]) await node.waitEstablished(a);
      for (const d of [bird, frr]) await waitLearned(d, 4, m.v4, [POD]);
      await new Promise((r) => setTimeout(r, 500));

      const misses = await kernel.stop();
      const [birdMisses, frrMisses] = await Promise.all(peers.map((p) => p.stop()));
      monitor.kill('SIGTERM');
      const log = node.proc.output().stderr;
      expect(log).toContain('restarting with routes in the kernel');
      expect(log).toMatch(/graceful restart done.*|"why":"every peer sent End-of-RIB"/);
      expect(misses, 'kernel polls with a learned route missing').toEqual([]);
      expect(kernel.polls()).toBeGreaterThan(20);
      expect(birdMisses, 'BIRD polls without our podCIDR').toEqual([]);
      expect(frrMisses, 'FRR polls without our podCIDR').toEqual([]);
      const deleted = monitor.output().stdout.split('\n').filter((l) => l.startsWith('Deleted') && / proto 180 /.test(l));
      expect(deleted, 'route deletions seen by ip monitor').toEqual([]);
      await waitKernel(node, m.ns.name, { 4: 40, 6: 0 });
    });
  }, 60_000);
});

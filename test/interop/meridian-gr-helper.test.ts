// Graceful restart, Meridian as helper (RFC 4724 4.2): BIRD with graceful restart on restarts
// (`birdc graceful restart`, then `bird -R`: no Cease, and R and F bits in its new OPEN), coming
// back with fewer routes. Meridian keeps all of BIRD's routes in its kernel throughout (polled
// every 50 ms: never missing), marks the peer as restarting meanwhile, and once BIRD's End-of-RIB
// arrives removes exactly the routes BIRD did not announce again.

import { describe, expect, it } from 'vitest';
import { startBird, prefixRange } from '../harness/bgp-daemons/index.js';
import { startMeridian } from '../harness/meridian-node.js';
import { withWorld } from '../harness/netns.js';
import { waitFor } from '../harness/wait.js';
import { watchKernel } from './fib-watch.js';
import { kernelPrefixes, waitKernel } from './kernel-routes.js';
import { lan, type LanHost } from './lan.js';

const N = 60;
const KEPT = 40;

describe('a peer restarting with graceful restart', () => {
  it('keeps its routes in the kernel until its End-of-RIB, then drops what it did not re-announce', async () => {
    await withWorld(async (w) => {
      const [m, b] = (await lan(w, ['meridian', 'bird'])) as [LanHost, LanHost];
      const bird = await startBird(w, { ns: b.ns, routerId: b.v4, asn: 65000, neighbors: [{ address: m.v4, asn: 64512, gracefulRestart: true }] });
      const all = prefixRange('10.20.0.0', N, 24);
      const kept = all.slice(0, KEPT);
      const gone = all.slice(KEPT);
      await bird.announce(all);
      const node = startMeridian(w, {
        ns: m.ns,
        name: 'node-a',
        ips: [m.v4],
        podCIDRs: ['10.244.1.0/24'],
        config: { clusterCIDRs: ['10.20.0.0/16'], bgp: { asn: 64512, nodeMesh: false, peers: [{ address: b.v4, asn: 65000, holdTime: 9 }] } },
      });
      await node.waitEstablished(b.v4);
      await waitKernel(node, m.ns.name, { 4: N, 6: 0 });
      expect((await node.status()).peers[0]?.gracefulRestart).toBe('negotiated');

      // Every route, kept or not, must stay in the kernel until BIRD's End-of-RIB.
      const watchKept = watchKernel(m.ns.name, 4, kept);
      let sawRestarting = false;
      const restartSeen = waitFor(async () => (await node.status()).peers[0]?.gracefulRestart === 'peer-restarting', { timeoutMs: 10_000, intervalMs: 50, what: 'Meridian to mark BIRD as restarting' }).then(() => {
        sawRestarting = true;
      });
      let goneBeforeEor = false;
      const restart = bird.restart({ announce: kept });
      // While BIRD is down (before it is Established again), the routes it will drop are still here.
      await restartSeen;
      const k = await kernelPrefixes(m.ns.name, 4);
      goneBeforeEor = gone.some((p) => !k.has(p));
      await restart;
      await bird.waitEstablished(m.v4);
      await node.waitEstablished(b.v4);
      // After its End-of-RIB: exactly the re-announced routes.
      await waitFor(
        async () => {
          const now = await kernelPrefixes(m.ns.name, 4);
          return now.size === KEPT && kept.every((p) => now.has(p));
        },
        { timeoutMs: 15_000, what: `only the ${KEPT} re-announced routes after BIRD's End-of-RIB` },
      );
      const misses = await watchKept.stop();
      expect(sawRestarting).toBe(true);
      expect(goneBeforeEor).toBe(false);
      expect(misses, 'polls that found a kept route missing from the kernel').toEqual([]);
      expect(watchKept.polls()).toBeGreaterThan(10);
      expect((await node.status()).peers[0]?.gracefulRestart).toBe('negotiated');
    });
  }, 60_000);
});

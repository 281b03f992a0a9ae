// A peer that vanishes without closing its TCP connection (its process frozen with SIGSTOP, so
// its kernel still ACKs but no KEEPALIVE comes): Meridian's hold timer (3 s here) expires and it
// removes the peer's routes from the kernel at once, graceful restart or not (RFC 4724 4.2: a hold
// timer expiry is a real failure). The daemon is thawed before cleanup.

import { describe, expect, it } from 'vitest';
import { startBird, startFrr, startGobgp, prefixRange, type BgpDaemon, type DaemonKind, type DaemonOptions } from '../harness/bgp-daemons/index.js';
import { startMeridian } from '../harness/meridian-node.js';
import { withWorld, type World } from '../harness/netns.js';
import { waitFor } from '../harness/wait.js';
import { kernelPrefixes, waitKernel } from './kernel-routes.js';
import { lan, type LanHost } from './lan.js';

const START: Record<DaemonKind, (w: World, o: DaemonOptions) => Promise<BgpDaemon>> = { bird: startBird, frr: startFrr, gobgp: startGobgp };
const HOLD_S = 3;
/** Hold time, plus a keepalive interval the peer may have just missed, plus polling slack. */
const LIMIT_MS = (HOLD_S + 1.5) * 1000;

describe.concurrent.each(['bird', 'frr', 'gobgp'] as const)('a %s peer that vanishes', (kind) => {
  it(`has its routes removed within the ${HOLD_S} s hold time`, async () => {
    await withWorld(async (w) => {
      const [m, d] = (await lan(w, ['meridian', kind])) as [LanHost, LanHost];
      const daemon = await START[kind](w, {
        ns: d.ns,
        routerId: d.v4,
        asn: 65000,
        neighbors: [{ address: m.v4, asn: 64512, passive: kind === 'gobgp', gracefulRestart: true, holdTime: HOLD_S }],
      });
      const routes = prefixRange('10.20.0.0', 30, 24);
      await daemon.announce(routes);
      const node = startMeridian(w, {
        ns: m.ns,
        name: 'node-a',
        ips: [m.v4],
        podCIDRs: ['10.244.1.0/24'],
        config: { clusterCIDRs: ['10.20.0.0/16'], bgp: { asn: 64512, nodeMesh: false, peers: [{ address: d.v4, asn: 65000, holdTime: HOLD_S }] } },
      });
      await node.waitEstablished(d.v4);
      await waitKernel(node, m.ns.name, { 4: routes.length, 6: 0 });

      daemon.signal('SIGSTOP');
      const t0 = Date.now();
      try {
        await waitFor(async () => (await kernelPrefixes(m.ns.name, 4)).size === 0, { timeoutMs: LIMIT_MS + 5000, intervalMs: 50, what: `${kind}'s routes to leave the kernel` });
        const took = Date.now() - t0;
        expect(took, `routes removed after ${took} ms`).toBeLessThan(LIMIT_MS);
        // Not immediately either: the session was up until the hold timer said otherwise.
        expect(took).toBeGreaterThan((HOLD_S - 1) * 1000);
        const st = (await node.status()).peers[0];
        expect(st?.state).not.toBe('Established');
        // Code 4: Hold Timer Expired (RFC 4271 4.5).
        expect(st?.lastError ?? '').toMatch(/NOTIFICATION 4\/0/);
      } finally {
        daemon.signal('SIGCONT');
      }
    });
  }, 45_000);
});

// Meridian (`meridian bgp run`) against real BIRD 2, FRR and GoBGP over iBGP, IPv4 and IPv6:
// routes go both ways with LOCAL_PREF present and the iBGP next-hop rules kept (a learned route's
// NEXT_HOP is not rewritten to the peer's address; our own routes carry ours), land in Meridian's
// kernel table via the NEXT_HOP they were sent with, and are withdrawn both ways.

import { describe, expect, it } from 'vitest';
import { startBird, startFrr, startGobgp, prefixRange, type BgpDaemon, type DaemonKind, type DaemonOptions } from '../harness/bgp-daemons/index.js';
import { startMeridian } from '../harness/meridian-node.js';
import { withWorld, type World } from '../harness/netns.js';
import { waitFor } from '../harness/wait.js';
import { kernelPrefixes, waitKernel } from './kernel-routes.js';
import { lan, type LanHost } from './lan.js';
import { waitLearned } from './routes-wait.js';

const START: Record<DaemonKind, (w: World, o: DaemonOptions) => Promise<BgpDaemon>> = { bird: startBird, frr: startFrr, gobgp: startGobgp };
const AS = 64512;
const N = 100;

describe.each(['bird', 'frr', 'gobgp'] as const)('Meridian <-> %s over iBGP', (kind) => {
  it('exchanges IPv4 and IPv6 routes with LOCAL_PREF and unchanged next hops, installs and withdraws them', async () => {
    await withWorld(async (w) => {
      // A third host on the segment: the next hop the daemon's routes name (a server behind it).
      const [m, d, nh] = (await lan(w, ['meridian', kind, 'server'])) as [LanHost, LanHost, LanHost];
      const daemon = await START[kind](w, {
        ns: d.ns,
        routerId: d.v4,
        asn: AS,
        ipv6: true,
        neighbors: [
          { address: m.v4, asn: AS, passive: kind === 'gobgp' },
          { address: m.v6, asn: AS, passive: kind === 'gobgp' },
        ],
      });
      const node = startMeridian(w, {
        ns: m.ns,
        name: 'node-a',
        ips: [m.v4, m.v6],
        podCIDRs: ['10.244.1.0/24', 'fd00:10:244:1::/64'],
        config: {
          clusterCIDRs: ['10.20.0.0/16', 'fd00:20::/32'],
          bgp: {
            asn: AS,
            nodeMesh: false,
            peers: [
              { address: d.v4, asn: AS, holdTime: 9 },
              { address: d.v6, asn: AS, holdTime: 9 },
            ],
          },
        },
      });
      const v4 = prefixRange('10.20.0.0', N, 24);
      const v6 = prefixRange('fd00:20::', 20, 64);
      const viaServer4 = prefixRange('10.20.200.0', 5, 24);
      await daemon.announce([...v4, ...v6]);
      await node.waitEstablished(d.v4);
      await node.waitEstablished(d.v6);

      // Our routes at the daemon: iBGP, so no AS prepended, LOCAL_PREF present, our address as next hop.
      for (const [family, prefix, hop] of [
        [4, '10.244.1.0/24', m.v4],
        [6, 'fd00:10:244:1::/64', m.v6],
      ] as const) {
        const got = (await waitLearned(daemon, family, hop, [prefix])).get(prefix);
        expect(got?.asPath).toEqual([]);
        expect(got?.localPref).toBe(100);
        expect(got?.nextHops[0]).toBe(hop);
      }

      // The daemon's routes in our Loc-RIB (LOCAL_PREF as sent, next hop the daemon's own) and kernel.
      await waitKernel(node, m.ns.name, { 4: N, 6: 20 });
      const rib4 = await node.rib(4);
      const r = rib4.find((e) => e.prefix === '10.20.0.0/24');
      expect(r).toMatchObject({ from: d.v4, asPath: [], localPref: 100, nextHops: [d.v4] });
      const rib6 = await node.rib(6);
      expect(rib6.find((e) => e.prefix === 'fd00:20::/64')).toMatchObject({ from: d.v6, localPref: 100, nextHops: [d.v6] });

      // iBGP keeps NEXT_HOP: a route the daemon sends with a third party's address as next hop is
      // installed via that address, not via the daemon. (The IPv6 routes go: withdrawn.)
      await daemon.announce([...v4, ...viaServer4], { nextHop: nh.v4 });
      await waitKernel(node, m.ns.name, { 4: N + 5, 6: 0 });
      await waitFor(
        async () => {
          const k = await kernelPrefixes(m.ns.name, 4);
          return k.get('10.20.200.0/24') === nh.v4 && k.get('10.20.0.0/24') === nh.v4;
        },
        { timeoutMs: 15_000, what: `routes with NEXT_HOP ${nh.v4} to be installed via it` },
      );
      expect((await node.rib(4)).find((e) => e.prefix === '10.20.200.0/24')).toMatchObject({ from: d.v4, nextHops: [nh.v4], localPref: 100 });

      // Withdrawals from the daemon leave our kernel; our podCIDR change reaches the daemon.
      await daemon.announce(v4.slice(0, N / 2));
      await waitKernel(node, m.ns.name, { 4: N / 2, 6: 0 });
      node.setPodCIDRs(['10.244.9.0/24', 'fd00:10:244:1::/64']);
      await waitLearned(daemon, 4, m.v4, ['10.244.9.0/24'], ['10.244.1.0/24', '10.244.9.0/24']);
      await waitLearned(daemon, 6, m.v6, ['fd00:10:244:1::/64']);
    });
  }, 60_000);
});

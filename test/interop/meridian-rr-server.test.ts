// Meridian as a route reflector (RFC 4456) with BIRD and FRR as its clients, IPv4 and IPv6: each
// client gets the other's routes from Meridian with ORIGINATOR_ID = the originating client's router
// id, CLUSTER_LIST = [Meridian's cluster id] and the NEXT_HOP unchanged (the originating client's
// address, not Meridian's). No export policy is configured: reflecting is the default for clients.

import { describe, expect, it } from 'vitest';
import { startBird, startFrr, prefixRange, type BgpDaemon, type DaemonOptions, type Family } from '../harness/bgp-daemons/index.js';
import { startMeridian } from '../harness/meridian-node.js';
import { withWorld } from '../harness/netns.js';
import { waitKernel } from './kernel-routes.js';
import { lan, type LanHost } from './lan.js';
import { waitLearned } from './routes-wait.js';

const AS = 64512;
const CLUSTER_ID = '10.255.0.9';

describe('Meridian as route reflector for BIRD and FRR', () => {
  it('reflects between its clients with ORIGINATOR_ID, CLUSTER_LIST and next hop unchanged', async () => {
    await withWorld(async (w) => {
      const [m, b, f] = (await lan(w, ['meridianrr', 'birdclient', 'frrclient'])) as [LanHost, LanHost, LanHost];
      const client = (h: LanHost): DaemonOptions => ({
        ns: h.ns,
        routerId: h.v4,
        asn: AS,
        ipv6: true,
        neighbors: [
          { address: m.v4, asn: AS },
          { address: m.v6, asn: AS },
        ],
      });
      const [bird, frr] = await Promise.all([startBird(w, client(b)), startFrr(w, client(f))]);
      const routes: [BgpDaemon, LanHost, string[], string[]][] = [
        [bird, b, prefixRange('10.31.0.0', 40, 24), prefixRange('fd00:31::', 10, 64)],
        [frr, f, prefixRange('10.32.0.0', 40, 24), prefixRange('fd00:32::', 10, 64)],
      ];
      await Promise.all(routes.map(([d, , p4, p6]) => d.announce([...p4, ...p6])));
      const node = startMeridian(w, {
        ns: m.ns,
        name: 'node-rr',
        ips: [m.v4, m.v6],
        podCIDRs: ['10.244.1.0/24', 'fd00:10:244:1::/64'],
        config: {
          clusterCIDRs: ['10.31.0.0/16', '10.32.0.0/16', 'fd00:31::/32', 'fd00:32::/32'],
          bgp: {
            asn: AS,
            nodeMesh: false,
            clusterId: CLUSTER_ID,
            peers: [b, f].flatMap((h) => [h.v4, h.v6].map((address) => ({ address, asn: AS, holdTime: 9, routeReflectorClient: true }))),
          },
        },
      });
      for (const h of [b, f]) for (const a of [h.v4, h.v6]) await node.waitEstablished(a);
      // Meridian itself installs both clients' routes.
      await waitKernel(node, m.ns.name, { 4: 80, 6: 20 }, 20_000);

      const [rb, rf] = routes as [(typeof routes)[number], (typeof routes)[number]];
      for (const [[dst], [, srcHost, p4, p6]] of [
        [rb, rf],
        [rf, rb],
      ] as const) {
        for (const [family, prefixes, hop, from] of [
          [4, p4, srcHost.v4, m.v4],
          [6, p6, srcHost.v6, m.v6],
        ] as [Family, string[], string, string][]) {
          const ours = family === 4 ? '10.244.1.0/24' : 'fd00:10:244:1::/64';
          const got = await waitLearned(dst, family, from, [...prefixes, ours], [...prefixes, ours], 20_000).catch(async (e: unknown) => {
            const st = (await node.status()).peers.map((x) => `${x.address} ${x.state} in=${x.prefixesIn} out=${x.prefixesOut}`);
            // What Meridian thinks it sent and what the client holds: a client dropping an UPDATE shows here.
            throw new Error(`${(e as Error).message}\nmeridian: ${st.join('; ')}\n${await dst.cli(dst.kind === 'bird' ? ['show', 'route', 'count'] : ['show', 'bgp', `ipv${family}`, 'unicast'])}\n${node.logs()}`);
          });
          for (const p of prefixes) {
            const r = got.get(p);
            expect(r?.nextHops[0], `${p} at ${dst.kind}`).toBe(hop);
            expect(r?.originatorId, `${p} at ${dst.kind}`).toBe(srcHost.v4);
            expect(r?.clusterList, `${p} at ${dst.kind}`).toEqual([CLUSTER_ID]);
            expect(r?.localPref).toBe(100);
          }
          // Our own route is not reflected: no ORIGINATOR_ID or CLUSTER_LIST, our next hop.
          const own = got.get(ours);
          expect(own?.nextHops[0]).toBe(from);
          expect(own?.originatorId).toBeUndefined();
          expect(own?.clusterList ?? []).toEqual([]);
        }
      }
    });
  }, 60_000);
});

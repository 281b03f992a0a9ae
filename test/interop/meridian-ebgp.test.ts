// Meridian (`meridian bgp run`) against real BIRD 2, FRR and GoBGP over eBGP, IPv4 and IPv6:
// sessions come up, routes go both ways with the right AS_PATH and next hop, land in Meridian's
// kernel table, are withdrawn both ways, and a prefix outside the cluster's ranges never reaches
// the kernel (the default import filter).

import { describe, expect, it } from 'vitest';
import { execRunner as run } from '../../src/net/exec.js';
import { listRoutes } from '../../src/net/ip.js';
import { startBird, startFrr, startGobgp, prefixRange, type BgpDaemon, type DaemonKind, type DaemonOptions } from '../harness/bgp-daemons/index.js';
import { startMeridian } from '../harness/meridian-node.js';
import { withWorld, type World } from '../harness/netns.js';
import { waitFor } from '../harness/wait.js';
import { lan, type LanHost } from './lan.js';
import { waitLearned } from './routes-wait.js';

const START: Record<DaemonKind, (w: World, o: DaemonOptions) => Promise<BgpDaemon>> = { bird: startBird, frr: startFrr, gobgp: startGobgp };
const N = 200;

async function kernelPrefixes(ns: string, family: 4 | 6): Promise<Set<string>> {
  const rs = await listRoutes(run, { family, protocol: 180, netns: ns });
  return new Set(rs.filter((r) => r.type !== 'blackhole').map((r) => (r.dst.includes('/') ? r.dst : `${r.dst}/${family === 4 ? 32 : 128}`)));
}

describe.each(['bird', 'frr', 'gobgp'] as const)('Meridian <-> %s over eBGP', (kind) => {
  it('exchanges IPv4 and IPv6 routes both ways, installs them, withdraws them, and filters hijacks', async () => {
    await withWorld(async (w) => {
      const [m, d] = (await lan(w, ['meridian', kind])) as [LanHost, LanHost];
      const daemon = await START[kind](w, {
        ns: d.ns,
        routerId: d.v4,
        asn: 65000,
        ipv6: true,
        // GoBGP is slow to dial (idle hold); let it wait for us.
        neighbors: [
          { address: m.v4, asn: 64512, passive: kind === 'gobgp' },
          { address: m.v6, asn: 64512, passive: kind === 'gobgp' },
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
            asn: 64512,
            nodeMesh: false,
            peers: [
              { address: d.v4, asn: 65000, holdTime: 9 },
              { address: d.v6, asn: 65000, holdTime: 9 },
            ],
          },
        },
      });
      const v4 = prefixRange('10.20.0.0', N, 24);
      const v6 = prefixRange('fd00:20::', 50, 64);
      await daemon.announce([...v4, ...v6, '192.168.77.0/24']);
      await node.waitEstablished(d.v4);
      await node.waitEstablished(d.v6);

      // Meridian's routes at the daemon: our AS, our address as next hop.
      for (const [family, prefix, nh] of [
        [4, '10.244.1.0/24', m.v4],
        [6, 'fd00:10:244:1::/64', m.v6],
      ] as const) {
        const got = await waitLearned(daemon, family, nh, [prefix]);
        expect(got.get(prefix)).toMatchObject({ asPath: [64512] });
        expect(got.get(prefix)?.nextHops[0]).toBe(nh);
      }
      // The daemon's routes in our kernel, via the daemon; the hijack attempt nowhere.
      await waitFor(async () => (await kernelPrefixes(m.ns.name, 4)).size === N && (await kernelPrefixes(m.ns.name, 6)).size === 50, {
        timeoutMs: 20_000,
        what: `${N} IPv4 and 50 IPv6 routes in Meridian's kernel table`,
      }).catch((e: unknown) => {
        throw new Error(`${(e as Error).message}\n${node.logs()}`);
      });
      const k4 = await listRoutes(run, { family: 4, protocol: 180, netns: m.ns.name });
      expect(k4.find((r) => r.dst === '10.20.0.0/24')?.gateway).toBe(d.v4);
      expect(k4.some((r) => r.dst === '192.168.77.0/24')).toBe(false);
      const st = await node.status();
      // Received counts the hijack (and, from FRR, our own route sent back: it advertises routes to
      // the AS they came from); accepted is exactly the daemon's cluster-range routes.
      const peerStatus = st.peers.find((p) => p.address === d.v4);
      expect(peerStatus?.prefixesIn).toBe(N);
      expect(peerStatus?.prefixesReceived).toBe(kind === 'frr' ? N + 2 : N + 1);

      // Withdraw half from the daemon: they leave our kernel.
      await daemon.announce([...v4.slice(0, N / 2), ...v6]);
      await waitFor(async () => (await kernelPrefixes(m.ns.name, 4)).size === N / 2, { timeoutMs: 15_000, what: 'withdrawals to reach the kernel' });
      // Our podCIDR changes: the daemon loses the old one and learns the new one.
      node.setPodCIDRs(['10.244.9.0/24', 'fd00:10:244:1::/64']);
      await waitLearned(daemon, 4, m.v4, ['10.244.9.0/24'], ['10.244.1.0/24', '10.244.9.0/24']);
    });
  }, 90_000);
});

// FRR with RFC 8212 on (`bgp ebgp-requires-policy`, FRR's default): an eBGP session with no policy
// comes up but moves no route either way; configured correctly (a permit-all route-map in and
// out on the neighbor) it exchanges routes with Meridian both ways.

import { describe, expect, it } from 'vitest';
import { startFrr, prefixRange, type DaemonNeighbor } from '../harness/bgp-daemons/index.js';
import { startMeridian } from '../harness/meridian-node.js';
import { withWorld } from '../harness/netns.js';
import { kernelPrefixes, waitKernel } from './kernel-routes.js';
import { lan, type LanHost } from './lan.js';
import { waitLearned } from './routes-wait.js';

const POD = '10.244.1.0/24';

async function frrPeer(policy: DaemonNeighbor['policy'] | undefined, check: (x: { m: LanHost; d: LanHost; node: ReturnType<typeof startMeridian>; frr: Awaited<ReturnType<typeof startFrr>> }) => Promise<void>): Promise<void> {
  await withWorld(async (w) => {
    const [m, d] = (await lan(w, ['meridian', 'frr'])) as [LanHost, LanHost];
    const frr = await startFrr(w, { ns: d.ns, routerId: d.v4, asn: 65000, strictPolicy: true, neighbors: [{ address: m.v4, asn: 64512, ...(policy !== undefined ? { policy } : {}) }] });
    await frr.announce(prefixRange('10.20.0.0', 25, 24));
    const node = startMeridian(w, {
      ns: m.ns,
      name: 'node-a',
      ips: [m.v4],
      podCIDRs: [POD],
      config: { clusterCIDRs: ['10.20.0.0/16'], bgp: { asn: 64512, nodeMesh: false, peers: [{ address: d.v4, asn: 65000, holdTime: 9 }] } },
    });
    await node.waitEstablished(d.v4);
    await check({ m, d, node, frr });
  });
}

describe.concurrent('an FRR eBGP peer with RFC 8212 on', () => {
  it('moves nothing without policy', async () => {
    await frrPeer(undefined, async ({ m, node, frr }) => {
      // Meridian has sent its table and End-of-RIB by now; give FRR time to (not) act on it.
      await new Promise((r) => setTimeout(r, 3000));
      expect((await frr.routes(4)).filter((r) => r.from === m.v4)).toEqual([]);
      expect((await kernelPrefixes(m.ns.name, 4)).size).toBe(0);
      expect((await node.status()).peers[0]?.prefixesReceived).toBe(0);
    });
  }, 40_000);

  it('exchanges routes both ways with a permit-all route-map in and out', async () => {
    await frrPeer({ in: 'permit-all', out: 'permit-all' }, async ({ m, d, node, frr }) => {
      const ours = (await waitLearned(frr, 4, m.v4, [POD])).get(POD);
      expect(ours?.asPath).toEqual([64512]);
      expect(ours?.nextHops[0]).toBe(m.v4);
      await waitKernel(node, m.ns.name, { 4: 25, 6: 0 });
      expect((await kernelPrefixes(m.ns.name, 4)).get('10.20.0.0/24')).toBe(d.v4);
    });
  }, 40_000);
});

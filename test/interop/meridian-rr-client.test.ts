// Meridian as a route-reflector client (RFC 4456) of BIRD, FRR and GoBGP: the daemon reflects
// between Meridian and a second client daemon of another kind, all in one AS. Meridian learns the
// other client's routes with ORIGINATOR_ID (the other client's router id), CLUSTER_LIST (the
// reflector's cluster id) and the NEXT_HOP unchanged (the other client's address), installs them via
// that address; its own podCIDR reaches the other client the same way.

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
const CLUSTER_ID = '10.255.0.1';
const N = 50;
/** Reflector kind -> the kind of the other client. */
const OTHER: Record<DaemonKind, DaemonKind> = { bird: 'frr', frr: 'gobgp', gobgp: 'bird' };

describe.each(['bird', 'frr', 'gobgp'] as const)('Meridian as route-reflector client of %s', (kind) => {
  const other = OTHER[kind];
  it(`learns ${other}'s routes with ORIGINATOR_ID, CLUSTER_LIST and next hop unchanged, and its own reach ${other}`, async () => {
    await withWorld(async (w) => {
      const [m, rr, oc] = (await lan(w, ['meridian', `${kind}rr`, `${other}client`])) as [LanHost, LanHost, LanHost];
      // GoBGP waits for the others to dial (an active GoBGP is slow to its first connect); a GoBGP
      // client is dialled by the reflector.
      const reflector = await START[kind](w, {
        ns: rr.ns,
        routerId: rr.v4,
        asn: AS,
        routeReflector: { clusterId: CLUSTER_ID },
        neighbors: [
          { address: m.v4, asn: AS, rrClient: true, passive: kind === 'gobgp' },
          { address: oc.v4, asn: AS, rrClient: true, passive: kind === 'gobgp' },
        ],
      });
      const client = await START[other](w, { ns: oc.ns, routerId: oc.v4, asn: AS, neighbors: [{ address: rr.v4, asn: AS, passive: other === 'gobgp' }] });
      const theirs = prefixRange('10.30.0.0', N, 24);
      await client.announce(theirs);
      const node = startMeridian(w, {
        ns: m.ns,
        name: 'node-a',
        ips: [m.v4],
        podCIDRs: ['10.244.1.0/24'],
        config: { clusterCIDRs: ['10.30.0.0/16'], bgp: { asn: AS, nodeMesh: false, peers: [{ address: rr.v4, asn: AS, holdTime: 9 }] } },
      });
      await node.waitEstablished(rr.v4);
      await reflector.waitEstablished(oc.v4, 25_000);

      // Reflected to us: from the reflector, with the other client's identity and next hop.
      await waitKernel(node, m.ns.name, { 4: N, 6: 0 }, 25_000);
      const got = (await node.rib(4)).find((e) => e.prefix === theirs[0]);
      expect(got).toMatchObject({ from: rr.v4, nextHops: [oc.v4], originatorId: oc.v4, clusterList: [CLUSTER_ID], localPref: 100 });
      const k = await kernelPrefixes(m.ns.name, 4);
      expect(theirs.every((p) => k.get(p) === oc.v4)).toBe(true);

      // Ours at the other client: reflected with our router id as ORIGINATOR_ID, our next hop.
      const ours = (await waitLearned(client, 4, rr.v4, ['10.244.1.0/24'], ['10.244.1.0/24'], 25_000)).get('10.244.1.0/24');
      expect(ours?.nextHops[0]).toBe(m.v4);
      expect(ours?.originatorId).toBe(m.v4);
      expect(ours?.clusterList).toEqual([CLUSTER_ID]);

      // A withdrawal at the other client is reflected to us and leaves the kernel.
      await client.announce(theirs.slice(0, N - 10));
      await waitFor(async () => (await kernelPrefixes(m.ns.name, 4)).size === N - 10, { timeoutMs: 15_000, what: 'reflected withdrawals to reach the kernel' });
    });
  }, 60_000);
});

// TCP MD5 signatures (RFC 2385) between Meridian (`meridian bgp run`) and real BIRD 2 and FRR, in
// network namespaces on one L2 segment, both ways a connection can be opened:
// - Meridian dials, the daemon only listens: the IPv4 peer's password comes from kube-router's
//   `kube-router.io/peer.passwords` annotation, the IPv6 peer's from a BGPPeer passwordSecretRef
//   (a `kind: Secret` manifest of the files datastore) that is wrong at first: that session never
//   forms, and it does once the Secret is corrected (the rotation path);
// - the daemon dials, Meridian only listens (keys on its listening socket): passwords from the agent
//   config; IPv4 matches and carries routes both ways, IPv6 does not match and never forms.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { startBird, startFrr, type BgpDaemon, type DaemonOptions } from '../harness/bgp-daemons/index.js';
import { startMeridian, type MeridianNode } from '../harness/meridian-node.js';
import { withWorld, type World } from '../harness/netns.js';
import { sleep, waitFor } from '../harness/wait.js';
import { lan, type LanHost } from './lan.js';
import { waitLearned } from './routes-wait.js';

const START = { bird: startBird, frr: startFrr } as const satisfies Record<string, (w: World, o: DaemonOptions) => Promise<BgpDaemon>>;
const b64 = (s: string) => Buffer.from(s).toString('base64');

const secret = (data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'bgp-passwords', namespace: 'kube-system' }, stringData: data });

async function neverEstablished(node: MeridianNode, daemon: BgpDaemon, meridianSide: string, daemonSide: string, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const ours = (await node.status()).peers.find((p) => p.address === daemonSide);
    const theirs = (await daemon.sessions()).find((s) => s.peer === meridianSide);
    expect(ours?.state, `Meridian's session to ${daemonSide}`).not.toBe('Established');
    expect(theirs?.established ?? false, `the daemon's session to ${meridianSide}`).toBe(false);
    await sleep(500);
  }
}

describe.each(['bird', 'frr'] as const)('TCP MD5: Meridian <-> %s', (kind) => {
  it('Meridian dials: annotation and Secret passwords; a wrong one never establishes until the Secret is fixed', async () => {
    await withWorld(async (w) => {
      const [m, d] = (await lan(w, ['meridian', kind])) as [LanHost, LanHost];
      const daemon = await START[kind](w, {
        ns: d.ns,
        routerId: d.v4,
        asn: 65000,
        ipv6: true,
        neighbors: [
          { address: m.v4, asn: 64512, passive: true, password: 'v4-Secret!' },
          { address: m.v6, asn: 64512, passive: true, password: 'v6-right' },
        ],
      });
      const node = startMeridian(w, {
        ns: m.ns,
        name: 'node-a',
        ips: [m.v4, m.v6],
        podCIDRs: ['10.244.1.0/24', 'fd00:10:244:1::/64'],
        metadata: { annotations: { 'kube-router.io/peer.ips': d.v4, 'kube-router.io/peer.asns': '65000', 'kube-router.io/peer.passwords': b64('v4-Secret!') } },
        objects: [
          { apiVersion: 'meridian.io/v1', kind: 'BGPPeer', metadata: { name: 'v6' }, spec: { peerIP: d.v6, asNumber: 65000, holdTime: 9, passwordSecretRef: { name: 'bgp-passwords', key: 'v6' } } },
          secret({ v6: 'v6-WRONG' }),
        ],
        config: { bgp: { asn: 64512, nodeMesh: false } },
      });
      await node.waitEstablished(d.v4);
      await daemon.waitEstablished(m.v4);
      await waitLearned(daemon, 4, m.v4, ['10.244.1.0/24']);
      const st = await node.status();
      expect(st.peers.map((p) => [p.address, p.md5])).toEqual([
        [d.v4, true],
        [d.v6, true],
      ]);
      expect(JSON.stringify(st)).not.toMatch(/v4-Secret|v6-WRONG/);
      expect(node.proc.output().stderr).not.toMatch(/v4-Secret|v6-WRONG|djQtU2VjcmV0IQ/);

      // Signed with the wrong key: the daemon's kernel drops every SYN, nothing ever forms.
      await neverEstablished(node, daemon, m.v6, d.v6, 6000);
      // The Secret is corrected (extra-node-a-1.yaml is the second extra object): the speaker restarts
      // that session with the new key.
      writeFileSync(join(node.dir, 'objects', 'extra-node-a-1.yaml'), stringify(secret({ v6: 'v6-right' })));
      await node.waitEstablished(d.v6);
      await waitLearned(daemon, 6, m.v6, ['fd00:10:244:1::/64']);
    });
  }, 90_000);

  it('the daemon dials, Meridian listens with keys: the matching IPv4 session carries routes, the mismatched IPv6 one never forms', async () => {
    await withWorld(async (w) => {
      const [m, d] = (await lan(w, ['meridian', kind])) as [LanHost, LanHost];
      const daemon = await START[kind](w, {
        ns: d.ns,
        routerId: d.v4,
        asn: 65000,
        ipv6: true,
        neighbors: [
          { address: m.v4, asn: 64512, password: 'shared-v4' },
          { address: m.v6, asn: 64512, password: 'daemon-v6' },
        ],
      });
      const node = startMeridian(w, {
        ns: m.ns,
        name: 'node-a',
        ips: [m.v4, m.v6],
        podCIDRs: ['10.244.1.0/24', 'fd00:10:244:1::/64'],
        config: {
          clusterCIDRs: ['10.20.0.0/16'],
          bgp: {
            asn: 64512,
            nodeMesh: false,
            peers: [
              { address: d.v4, asn: 65000, holdTime: 9, passive: true, password: 'shared-v4' },
              { address: d.v6, asn: 65000, holdTime: 9, passive: true, password: 'meridian-v6' },
            ],
          },
        },
      });
      await daemon.announce(['10.20.1.0/24']);
      await node.waitEstablished(d.v4);
      await waitLearned(daemon, 4, m.v4, ['10.244.1.0/24']);
      await waitFor(async () => (await node.rib(4)).some((r) => r.prefix === '10.20.1.0/24'), { timeoutMs: 15_000, what: "the daemon's route at Meridian" });
      expect((await node.status()).peers.find((p) => p.address === d.v4)?.md5).toBe(true);
      await neverEstablished(node, daemon, m.v6, d.v6, 6000);
    });
  }, 90_000);
});

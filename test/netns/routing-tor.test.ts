// Issue 5, nodes on different subnets behind a top-of-rack router over eBGP, with real BIRD and
// FRR as the ToR. Each node has its own subnet on its own link to the router namespace and its
// own AS (annotation meridian.io/asn); the node mesh is off (BGPConfiguration) and one global
// BGPPeer names the ToR by its loopback, so every node peers with the same address, multihop,
// and the ToR's next hop (its loopback) is on no node's subnet: Meridian resolves it through the
// kernel route to it (src/routes/next-hop.ts) instead of failing the route.
//
// Proves: the ToR learns every podCIDR and programs it; pods on different nodes reach each other
// through the ToR; the ToR's default route is installed only once BGPPeer.importAllow permits it;
// hijack attempts (a host /24, a node's own address, a supernet of the cluster, a /25 inside a
// node's podCIDR, a /32 inside another's) reach no kernel;
// the service ClusterIP range and an externalIP inside serviceExternalIPs are announced by every
// node and the ToR installs them as ECMP routes, while an externalIP outside it is not announced.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { fibRoutes, startBird, startFrr, type BgpDaemon, type DaemonOptions } from '../harness/bgp-daemons/index.js';
import { startMeridian, type MeridianNode } from '../harness/meridian-node.js';
import { withWorld, type Netns, type World } from '../harness/netns.js';
import { canPing, cniPod, ourRoutes, tcpExchange } from '../harness/routing-pods.js';
import { waitFor } from '../harness/wait.js';

const TOR_LO = '172.16.0.1';
const TOR_AS = 65000;
const SERVICE_RANGE = '10.96.0.0/16';
const EXTERNAL_IP = '198.51.100.10';
// A host /24, a node's own address, a supernet of the cluster; half of node-c's podCIDR (for c
// its own, for a and b a part of another node's); the /32 of an address in node-a's podCIDR (no
// pod holds it: BIRD also blackholes what it announces, which would cut a real pod off the ToR).
const HIJACKS = ['192.168.77.0/24', '172.16.2.2/32', '10.0.0.0/8', '10.244.3.128/25', '10.244.1.200/32'];

interface TorNode {
  readonly ns: Netns;
  readonly ip: string;
  readonly gw: string;
  readonly podCidr: string;
  readonly agent: MeridianNode;
}

const bgpConfiguration = {
  apiVersion: 'meridian.io/v1',
  kind: 'BGPConfiguration',
  metadata: { name: 'default' },
  spec: { nodeToNodeMesh: false, serviceClusterIPs: [{ cidr: SERVICE_RANGE }], serviceExternalIPs: [{ cidr: '198.51.100.0/24' }] },
};
const torPeer = (importAllow: string[]) => ({
  apiVersion: 'meridian.io/v1',
  kind: 'BGPPeer',
  metadata: { name: 'tor' },
  spec: { peerIP: TOR_LO, asNumber: TOR_AS, holdTime: 9, ...(importAllow.length > 0 ? { importAllow } : {}) },
});
const service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'default' },
  spec: { clusterIP: '10.96.0.10', externalIPs: [EXTERNAL_IP, '203.0.113.5'] },
};

async function torCluster(w: World, kind: 'bird' | 'frr'): Promise<{ tor: BgpDaemon; torNs: Netns; nodes: TorNode[]; objects: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'mrd-tor-'));
  w.onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const objects = join(dir, 'objects');
  mkdirSync(objects);
  writeFileSync(join(objects, 'bgp.yaml'), [bgpConfiguration, torPeer([]), service].map((o) => stringify(o)).join('---\n'));
  const torNs = await w.netns('tor');
  await w.exec(torNs, ['ip', 'addr', 'add', `${TOR_LO}/32`, 'dev', 'lo']);
  await w.sysctl(torNs, { 'net.ipv4.ip_forward': 1 });
  const specs = [0, 1, 2].map((i) => ({ name: `node-${'abc'[i]}`, ip: `172.16.${i + 1}.2`, gw: `172.16.${i + 1}.1`, podCidr: `10.244.${i + 1}.0/24`, asn: 64601 + i }));
  const nsList: Netns[] = [];
  for (const [i, s] of specs.entries()) {
    const ns = await w.netns(`node${i}`);
    await w.link(ns, torNs, { addrA: `${s.ip}/24`, addrB: `${s.gw}/24` });
    // The node's own default route (its gateway is the ToR), less preferred than a BGP one.
    await w.exec(ns, ['ip', 'route', 'add', 'default', 'via', s.gw, 'metric', '1000']);
    nsList.push(ns);
  }
  const opts: DaemonOptions = {
    ns: torNs,
    routerId: TOR_LO,
    asn: TOR_AS,
    kernel: true,
    multipath: true,
    holdTime: 9,
    neighbors: specs.map((s) => ({ address: s.ip, asn: s.asn, passive: true, multihop: true, localAddress: TOR_LO })),
  };
  const tor = kind === 'bird' ? await startBird(w, opts) : await startFrr(w, opts);
  const nodes = specs.map((s, i) => {
    const ns = nsList[i] as Netns;
    const agent = startMeridian(w, {
      ns,
      name: s.name,
      ips: [s.ip],
      podCIDRs: [s.podCidr],
      dir,
      metadata: { annotations: { 'meridian.io/asn': String(s.asn) } },
      env: { MERIDIAN_LOG_LEVEL: 'info' },
      config: { bgp: { asn: 64512, gracefulRestartTime: 30 }, metrics: { listen: `${s.ip}:9493` } },
    });
    return { ns, ip: s.ip, gw: s.gw, podCidr: s.podCidr, agent };
  });
  return { tor, torNs, nodes, objects };
}

describe.each(['bird', 'frr'] as const)('nodes behind a %s top-of-rack router over eBGP', (kind) => {
  it('routes pods through the ToR, takes its default route only when allowed, rejects hijacks, advertises services with ECMP', async () => {
    await withWorld(async (w) => {
      const { tor, torNs, nodes, objects } = await torCluster(w, kind);
      await tor.announce(['0.0.0.0/0', ...HIJACKS]);
      for (const n of nodes) await n.agent.waitEstablished(TOR_LO);

      // The ToR learns every podCIDR from its node and programs it.
      await waitFor(
        async () => {
          const fib = new Map((await fibRoutes(w, torNs, 4)).map((r) => [r.prefix, r]));
          return nodes.every((n) => fib.get(n.podCidr)?.gateways.join() === n.ip);
        },
        { timeoutMs: 20_000, intervalMs: 200, what: `the ${kind} ToR to install every podCIDR via its node` },
      ).catch(async (e: unknown) => {
        throw new Error(`${(e as Error).message}\n${JSON.stringify(await fibRoutes(w, torNs, 4))}\n${JSON.stringify(await tor.routes(4))}`);
      });
      // Every node installs the other podCIDRs via its gateway (the ToR's loopback next hop,
      // resolved), and never the ToR's hijack attempts or (not yet allowed) default route.
      for (const n of nodes) {
        const others = nodes.filter((o) => o !== n);
        await waitFor(async () => ((rs) => others.every((o) => rs.get(o.podCidr)?.gateway === n.gw))(await ourRoutes(n.ns)), {
          timeoutMs: 20_000,
          intervalMs: 100,
          what: `${n.agent.name} to install the other podCIDRs via ${n.gw}`,
        }).catch((e: unknown) => {
          throw new Error(`${(e as Error).message}\n${n.agent.logs()}`);
        });
      }
      for (const n of nodes) {
        const rs = await ourRoutes(n.ns);
        for (const h of [...HIJACKS, '0.0.0.0/0']) expect(rs.has(h), `${n.agent.name} installed ${h}`).toBe(false);
        const st = (await n.agent.status()).peers.find((p) => p.address === TOR_LO);
        // Received counts what the ToR announced; accepted excludes the hijacks and the default.
        expect((st?.prefixesReceived ?? 0) - (st?.prefixesIn ?? 0)).toBeGreaterThanOrEqual(HIJACKS.length + 1);
      }

      // Pods on different nodes, through the ToR.
      const [a, , c] = nodes as [TorNode, TorNode, TorNode];
      const pa = await cniPod(w, a.ns, a.agent, 'poda');
      const pc = await cniPod(w, c.ns, c.agent, 'podc');
      expect(await canPing(w, pa.ns, pc.ip)).toBe(true);
      await tcpExchange(w, pa, pc);
      // The ToR forwarded it (TTL 64 at a, 63 after a, 62 after the ToR, 61 after c).
      const ttl = /ttl=(\d+)/.exec((await w.exec(pa.ns, ['ping', '-c', '1', '-W', '2', pc.ip])).stdout)?.[1];
      expect(ttl).toBe('61');

      // Services: every node announces the ClusterIP range and the in-range externalIP; the ToR
      // has one ECMP route over all three nodes for each.
      await waitFor(
        async () => {
          const fib = new Map((await fibRoutes(w, torNs, 4)).map((r) => [r.prefix, r]));
          return [SERVICE_RANGE, `${EXTERNAL_IP}/32`].every((p) => fib.get(p)?.gateways.slice().sort().join() === nodes.map((n) => n.ip).join());
        },
        { timeoutMs: 15_000, intervalMs: 200, what: `the ${kind} ToR to install ECMP routes for the service addresses` },
      ).catch(async (e: unknown) => {
        throw new Error(`${(e as Error).message}\n${JSON.stringify(await fibRoutes(w, torNs, 4))}`);
      });
      const torRib = await tor.routes(4);
      expect(torRib.some((r) => r.prefix === '203.0.113.5/32')).toBe(false);
      for (const n of nodes) expect(torRib.some((r) => r.prefix === SERVICE_RANGE && r.from === n.ip)).toBe(true);

      // Allow the ToR's default route: the nodes re-request its routes and install it.
      writeFileSync(join(objects, 'bgp.yaml'), [bgpConfiguration, torPeer(['0.0.0.0/0']), service].map((o) => stringify(o)).join('---\n'));
      for (const n of nodes) {
        await waitFor(async () => (await ourRoutes(n.ns)).get('0.0.0.0/0')?.gateway === n.gw, { timeoutMs: 15_000, intervalMs: 100, what: `${n.agent.name} to install the allowed default route` });
        const rs = await ourRoutes(n.ns);
        for (const h of HIJACKS) expect(rs.has(h)).toBe(false);
      }
    });
  }, 90_000);
});

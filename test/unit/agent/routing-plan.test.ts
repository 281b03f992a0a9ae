import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/agent/config.js';
import { clusterId, planRouting, serviceRoutes, viewFromObjects } from '../../../src/agent/routing-plan.js';
import { evaluatePolicy } from '../../../src/bgp/speaker/policy.js';
import { parsePrefix } from '../../../src/bgp/wire/index.js';
import { parseManifests } from '../../../src/k8s/manifests.js';

const cfg = (extra = '') => parseConfig(`nodeName: node-b\n${extra}`, { source: 't', env: {}, hostname: 'h' });

function node(name: string, v4: string, podCidr: string, opts: { v6?: string; pod6?: string; annotations?: Record<string, string>; labels?: Record<string, string> } = {}) {
  const addrs = [{ type: 'InternalIP', address: v4 }, ...(opts.v6 !== undefined ? [{ type: 'InternalIP', address: opts.v6 }] : [])];
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, annotations: opts.annotations ?? {}, labels: opts.labels ?? {} },
    spec: { podCIDRs: [podCidr, ...(opts.pod6 !== undefined ? [opts.pod6] : [])] },
    status: { addresses: addrs },
  };
}

function view(docs: unknown[]) {
  const r = parseManifests(docs.map((d) => JSON.stringify(d)).join('\n---\n'), 'test');
  expect(r.problems).toEqual([]);
  return viewFromObjects(r.objects);
}

const three = [
  node('node-a', '192.0.2.1', '10.244.1.0/24', { v6: 'fd00::1', pod6: 'fd00:10:244:1::/64' }),
  node('node-b', '192.0.2.2', '10.244.2.0/24', { v6: 'fd00::2', pod6: 'fd00:10:244:2::/64' }),
  node('node-c', '192.0.2.3', '10.244.3.0/24'),
];

describe('planRouting', () => {
  it('meshes with every other node per family, the numerically lower address dialling', () => {
    // As numbers .9 < .10 < .100 and fd00::9 < fd00::10; as strings "192.0.2.10" and "192.0.2.100"
    // sort before "192.0.2.9", and "fd00::10" before "fd00::9": string order gets sides and sort wrong.
    const docs = [
      node('node-a', '192.0.2.9', '10.244.1.0/24', { v6: 'fd00::9', pod6: 'fd00:10:244:1::/64' }),
      node('node-b', '192.0.2.10', '10.244.2.0/24', { v6: 'fd00::10', pod6: 'fd00:10:244:2::/64' }),
      node('node-c', '192.0.2.100', '10.244.3.0/24', { v6: 'fd00::a1' }),
    ];
    const p = planRouting(cfg(), view(docs));
    expect(p.routerId).toBe('192.0.2.10');
    expect(p.asn).toBe(64512);
    expect(p.peers.map((x) => [x.address, x.asn, x.passive])).toEqual([
      ['192.0.2.9', 64512, true],
      ['192.0.2.100', 64512, false],
      ['fd00::9', 64512, true],
      ['fd00::a1', 64512, false],
    ]);
    expect(p.originate).toEqual(['10.244.2.0/24', 'fd00:10:244:2::/64']);
    expect(p.blackholes).toEqual(['10.244.2.0/24', 'fd00:10:244:2::/64']);
    // The other side agrees: node-a dials node-b.
    const onA = planRouting(parseConfig('nodeName: node-a', { source: 't', env: {}, hostname: 'h' }), view(docs));
    expect(onA.peers.filter((x) => x.address === '192.0.2.10' || x.address === 'fd00::10').map((x) => x.passive)).toEqual([false, false]);
  });

  it('takes the AS from BGPConfiguration, then the node annotation', () => {
    const bc = { apiVersion: 'meridian.io/v1', kind: 'BGPConfiguration', metadata: { name: 'default' }, spec: { asNumber: 65100 } };
    expect(planRouting(cfg(), view([...three, bc])).asn).toBe(65100);
    const annotated = [three[0], node('node-b', '192.0.2.2', '10.244.2.0/24', { annotations: { 'kube-router.io/node.asn': '65222' } }), three[2]];
    const p = planRouting(cfg(), view([...annotated, bc]));
    expect(p.asn).toBe(65222);
    expect(p.peers.find((x) => x.address === '192.0.2.1')?.asn).toBe(65100);
  });

  it('turns the mesh off, keeping explicit peers', () => {
    const bc = { apiVersion: 'meridian.io/v1', kind: 'BGPConfiguration', metadata: { name: 'default' }, spec: { nodeToNodeMesh: false } };
    const tor = { apiVersion: 'meridian.io/v1', kind: 'BGPPeer', metadata: { name: 'tor' }, spec: { peerIP: '192.0.2.254', asNumber: 65000, importAllow: ['0.0.0.0/0'] } };
    const p = planRouting(cfg(), view([...three, bc, tor]));
    expect(p.peers.map((x) => x.address)).toEqual(['192.0.2.254']);
    const tp = p.peers[0];
    // Only what we originate goes to the ToR; from it, cluster ranges and exactly the default route.
    expect(evaluatePolicy(tp?.exportPolicy ?? { rules: [], defaultAction: 'accept' }, parsePrefix('10.244.2.0/24'), {}).accepted).toBe(true);
    expect(evaluatePolicy(tp?.exportPolicy ?? { rules: [], defaultAction: 'accept' }, parsePrefix('10.244.1.0/24'), {}).accepted).toBe(false);
    const imp = tp?.importPolicy ?? { rules: [], defaultAction: 'accept' };
    expect(evaluatePolicy(imp, parsePrefix('10.244.1.0/24'), {}).accepted).toBe(true);
    expect(evaluatePolicy(imp, parsePrefix('10.244.1.7/32'), {}).accepted).toBe(false);
    expect(evaluatePolicy(imp, parsePrefix('0.0.0.0/0'), {}).accepted).toBe(true);
    expect(evaluatePolicy(imp, parsePrefix('192.0.2.1/32'), {}).accepted).toBe(false);
    expect(evaluatePolicy(imp, parsePrefix('10.0.0.0/8'), {}).accepted).toBe(false);
  });

  it('never imports a part of a podCIDR: ours from nobody, another node\'s only whole', () => {
    const bc = { apiVersion: 'meridian.io/v1', kind: 'BGPConfiguration', metadata: { name: 'default' }, spec: { serviceClusterIPs: ['10.96.0.0/16'], serviceExternalIPs: ['198.51.100.0/24'] } };
    const tor = { apiVersion: 'meridian.io/v1', kind: 'BGPPeer', metadata: { name: 'tor' }, spec: { peerIP: '192.0.2.254', asNumber: 65000, importAllow: ['10.244.3.128/25', '10.244.2.128/25'] } };
    const ann = node('node-b', '192.0.2.2', '10.244.2.0/24', { v6: 'fd00::2', pod6: 'fd00:10:244:2::/64', annotations: { 'kube-router.io/peer.ips': '192.0.2.253', 'kube-router.io/peer.asns': '65001' } });
    const c = cfg('clusterCIDRs: [10.244.0.0/16, 10.20.0.0/16, fd00:10:244::/48]\nbgp:\n  peers:\n    - { address: 192.0.2.252, asn: 65002 }');
    const p = planRouting(c, view([three[0], ann, three[2], bc, tor]));
    const accepts = (peer: string, prefix: string) => {
      const imp = p.peers.find((x) => x.address === peer)?.importPolicy;
      expect(imp, peer).toBeDefined();
      return evaluatePolicy(imp ?? { rules: [], defaultAction: 'accept' }, parsePrefix(prefix), {}).accepted;
    };
    // The mesh (v4 and v6 sessions), a BGPPeer, an annotation peer, a config peer: one rule.
    for (const peer of ['192.0.2.1', 'fd00::1', '192.0.2.254', '192.0.2.253', '192.0.2.252']) {
      // Our own podCIDRs, whole or in part: never (importAllow does not reopen them).
      for (const own of ['10.244.2.0/24', '10.244.2.128/25', '10.244.2.7/32', 'fd00:10:244:2::/64', 'fd00:10:244:2::5/128']) expect(accepts(peer, own), `${peer} ${own}`).toBe(false);
      // Other Nodes' podCIDRs exactly; nothing longer inside them.
      for (const whole of ['10.244.1.0/24', '10.244.3.0/24', 'fd00:10:244:1::/64']) expect(accepts(peer, whole), `${peer} ${whole}`).toBe(true);
      for (const part of ['10.244.1.7/32', '10.244.1.0/25', 'fd00:10:244:1::7/128']) expect(accepts(peer, part), `${peer} ${part}`).toBe(false);
      // Elsewhere in clusterCIDRs (no Node's podCIDR there) and in the service ranges: any length.
      for (const open of ['10.244.9.0/24', '10.20.7.0/24', '10.20.7.7/32', 'fd00:10:244:9::/64', '10.96.0.0/16', '198.51.100.10/32']) expect(accepts(peer, open), `${peer} ${open}`).toBe(true);
      expect(accepts(peer, '10.0.0.0/8'), peer).toBe(false);
    }
    // An explicit importAllow opens exactly that part of another node's podCIDR, for that peer.
    expect(accepts('192.0.2.254', '10.244.3.128/25')).toBe(true);
    expect(accepts('192.0.2.1', '10.244.3.128/25')).toBe(false);
    expect(accepts('192.0.2.254', '10.244.3.0/25')).toBe(false);
  });

  it('selects BGPPeers by node name and label selector', () => {
    const docs = [
      ...three.slice(0, 1),
      node('node-b', '192.0.2.2', '10.244.2.0/24', { labels: { rack: 'r1' } }),
      { apiVersion: 'meridian.io/v1', kind: 'BGPPeer', metadata: { name: 'only-a' }, spec: { peerIP: '198.51.100.1', asNumber: 65001, node: 'node-a' } },
      { apiVersion: 'meridian.io/v1', kind: 'BGPPeer', metadata: { name: 'rack1' }, spec: { peerIP: '198.51.100.2', asNumber: 65002, nodeSelector: { matchLabels: { rack: 'r1' } } } },
      { apiVersion: 'meridian.io/v1', kind: 'BGPPeer', metadata: { name: 'rack2' }, spec: { peerIP: '198.51.100.3', asNumber: 65003, nodeSelector: { matchLabels: { rack: 'r2' } } } },
      { apiVersion: 'meridian.io/v1', kind: 'BGPPeer', metadata: { name: 'all' }, spec: { peerIP: '198.51.100.4', asNumber: 65004, passive: true } },
    ];
    const p = planRouting(cfg(), view(docs));
    expect(p.peers.map((x) => x.address)).toEqual(['192.0.2.1', '198.51.100.2', '198.51.100.4']);
    expect(p.peers.find((x) => x.address === '198.51.100.4')?.passive).toBe(true);
  });

  it('goes through route reflectors when nodes carry a cluster ID', () => {
    const rr = node('node-a', '192.0.2.1', '10.244.1.0/24', { annotations: { 'meridian.io/route-reflector-cluster-id': '10.0.0.1' } });
    const docs = [rr, three[1], three[2]];
    // node-b is a client: it peers with the reflector only.
    const client = planRouting(cfg(), view(docs));
    expect(client.peers.map((x) => [x.address, x.routeReflectorClient])).toEqual([['192.0.2.1', false]]);
    expect(client.clusterId).toBeUndefined();
    // node-a, the reflector, peers with both clients as clients.
    const reflector = planRouting(parseConfig('nodeName: node-a', { source: 't', env: {}, hostname: 'h' }), view(docs));
    expect(reflector.clusterId).toBe('10.0.0.1');
    expect(reflector.peers.map((x) => [x.address, x.routeReflectorClient])).toEqual([
      ['192.0.2.2', true],
      ['192.0.2.3', true],
    ]);
  });

  it('peers a reflector only with the clients that name its cluster, or none', () => {
    const onNode = (name: string) => parseConfig(`nodeName: ${name}`, { source: 't', env: {}, hostname: 'h' });
    const docs = [
      node('rr1', '192.0.2.1', '10.244.1.0/24', { annotations: { 'meridian.io/route-reflector-cluster-id': '0.0.0.1' } }),
      node('rr2', '192.0.2.2', '10.244.2.0/24', { annotations: { 'kube-router.io/rr.server': '2' } }),
      node('c', '192.0.2.3', '10.244.3.0/24', { annotations: { 'kube-router.io/rr.client': '2' } }),
      node('d', '192.0.2.4', '10.244.4.0/24'),
    ];
    const v = view(docs);
    const sessions = (name: string) => planRouting(onNode(name), v).peers.map((p) => [p.address, p.routeReflectorClient]);
    // c wants cluster 2 only: rr1 must not dial it (c would never answer), rr2 takes it.
    expect(sessions('c')).toEqual([['192.0.2.2', false]]);
    expect(sessions('rr1')).toEqual([
      ['192.0.2.2', false],
      ['192.0.2.4', true],
    ]);
    expect(sessions('rr2')).toEqual([
      ['192.0.2.1', false],
      ['192.0.2.3', true],
      ['192.0.2.4', true],
    ]);
    // d names no cluster: every reflector, and every reflector has it.
    expect(sessions('d')).toEqual([
      ['192.0.2.1', false],
      ['192.0.2.2', false],
    ]);
  });

  it('reads kube-router peer annotations and reports bad ones', () => {
    const b = node('node-b', '192.0.2.2', '10.244.2.0/24', { annotations: { 'kube-router.io/peer.ips': '198.51.100.9,198.51.100.10', 'kube-router.io/peer.asns': '65009,65010' } });
    const p = planRouting(cfg(), view([three[0], b]));
    expect(p.peers.map((x) => [x.address, x.asn])).toEqual([
      ['192.0.2.1', 64512],
      ['198.51.100.9', 65009],
      ['198.51.100.10', 65010],
    ]);
    const bad = node('node-b', '192.0.2.2', '10.244.2.0/24', { annotations: { 'kube-router.io/peer.ips': '198.51.100.9', 'kube-router.io/peer.asns': '1,2' } });
    expect(planRouting(cfg(), view([three[0], bad])).problems[0]).toMatch(/same number of entries/);
  });

  it('lets a reflector pass cluster-range routes to its iBGP peers, and only its own to eBGP ones', () => {
    const c = cfg('clusterCIDRs: [10.20.0.0/16]\nbgp:\n  asn: 64512\n  nodeMesh: false\n  peers:\n    - { address: 192.0.2.10, asn: 64512, routeReflectorClient: true }\n    - { address: 192.0.2.11, asn: 64512 }\n    - { address: 192.0.2.254, asn: 65000 }');
    const p = planRouting(c, view(three));
    expect(p.clusterId).toBeUndefined();
    expect(planRouting(cfg('bgp:\n  clusterId: 10.255.0.9'), view(three)).clusterId).toBe('10.255.0.9');
    const exp = (addr: string, prefix: string) => evaluatePolicy(p.peers.find((x) => x.address === addr)?.exportPolicy ?? { rules: [], defaultAction: 'reject' }, parsePrefix(prefix), {}).accepted;
    for (const ibgp of ['192.0.2.10', '192.0.2.11']) {
      expect(exp(ibgp, '10.20.7.0/24')).toBe(true);
      expect(exp(ibgp, '10.244.1.0/24')).toBe(true);
      expect(exp(ibgp, '10.244.2.0/24')).toBe(true);
      expect(exp(ibgp, '0.0.0.0/0')).toBe(false);
    }
    expect(exp('192.0.2.254', '10.244.2.0/24')).toBe(true);
    expect(exp('192.0.2.254', '10.20.7.0/24')).toBe(false);
    // Without a client of ours, iBGP peers hear only what we originate, as before.
    const plain = planRouting(cfg('bgp:\n  asn: 64512\n  nodeMesh: false\n  peers:\n    - { address: 192.0.2.11, asn: 64512 }'), view(three));
    expect(evaluatePolicy(plain.peers[0]?.exportPolicy ?? { rules: [], defaultAction: 'accept' }, parsePrefix('10.244.1.0/24'), {}).accepted).toBe(false);
  });

  it('advertises service ranges and in-range external and load-balancer IPs', () => {
    const bc = {
      kind: 'BGPConfiguration',
      metadata: { name: 'default' },
      spec: { serviceClusterIPs: [{ cidr: '10.96.0.0/12' }], serviceExternalIPs: ['203.0.113.0/24'], serviceLoadBalancerIPs: ['198.18.0.0/24'] },
    };
    const svc = {
      kind: 'Service',
      metadata: { name: 'web', namespace: 'x' },
      spec: { type: 'LoadBalancer', clusterIP: '10.96.0.10', externalIPs: ['203.0.113.5', '192.0.2.99'] },
      status: { loadBalancer: { ingress: [{ ip: '198.18.0.7' }, { hostname: 'lb.example' }] } },
    };
    const v = view([...three, bc, svc]);
    expect(serviceRoutes(v.bgpConfiguration, v.services)).toEqual(['10.96.0.0/12', '198.18.0.7/32', '203.0.113.5/32']);
    expect(planRouting(cfg(), v).originate).toContain('203.0.113.5/32');
  });
});

describe('routing objects in manifests', () => {
  it('reports invalid BGPPeers and keeps the rest', () => {
    const r = parseManifests(
      [
        JSON.stringify({ apiVersion: 'meridian.io/v1', kind: 'BGPPeer', metadata: { name: 'bad' }, spec: { peerIP: 'nope', asNumber: 65000 } }),
        JSON.stringify({ apiVersion: 'meridian.io/v1', kind: 'BGPPeer', metadata: { name: 'hold' }, spec: { peerIP: '192.0.2.1', asNumber: 65000, holdTime: 2 } }),
        JSON.stringify({ apiVersion: 'meridian.io/v1', kind: 'BGPPeer', metadata: { name: 'keep' }, spec: { peerIP: '192.0.2.1', asNumber: 65000, nextHopMode: 'keep' } }),
        JSON.stringify({ apiVersion: 'meridian.io/v1', kind: 'BGPPeer', metadata: { name: 'ok' }, spec: { peerIP: '192.0.2.1', asNumber: 65000 } }),
        JSON.stringify({ apiVersion: 'meridian.io/v1', kind: 'BGPPeer', metadata: { name: 'self' }, spec: { peerIP: '192.0.2.1', asNumber: 65000, nextHopMode: 'self' } }),
      ].join('\n---\n'),
      'peers.yaml',
    );
    expect(r.objects.map((o) => o.name)).toEqual(['ok', 'self']);
    expect(r.problems.map((p) => p.reason)).toEqual([
      'spec.peerIP: "nope" is not an IP address',
      'spec.holdTime: must be 0 or at least 3 (RFC 4271 4.2)',
      // keep would change nothing (docs/routing.md): refused rather than silently ignored.
      'spec.nextHopMode: must be auto or self',
    ]);
  });
});

describe('route reflector cluster IDs', () => {
  it('takes dotted quads and kube-router\'s 32-bit numbers, and reports anything else', () => {
    expect(clusterId('10.0.0.42')).toBe('10.0.0.42');
    expect(clusterId('42')).toBe('0.0.0.42');
    expect(clusterId('4294967295')).toBe('255.255.255.255');
    expect(clusterId('4294967296')).toBeUndefined();
    expect(clusterId('rack-1')).toBeUndefined();
    const rr = [node('node-a', '192.0.2.1', '10.244.1.0/24', { annotations: { 'kube-router.io/rr.server': '42' } }), three[1], three[2]];
    const onA = planRouting(parseConfig('nodeName: node-a', { source: 't', env: {}, hostname: 'h' }), view(rr));
    expect(onA.clusterId).toBe('0.0.0.42');
    expect(onA.peers.map((p) => [p.address, p.routeReflectorClient])).toEqual([
      ['192.0.2.2', true],
      ['192.0.2.3', true],
    ]);
    // A client whose rr.client names the reflector's cluster in the other spelling still finds it.
    const client = [rr[0], node('node-b', '192.0.2.2', '10.244.2.0/24', { annotations: { 'kube-router.io/rr.client': '0.0.0.42' } }), three[2]];
    expect(planRouting(cfg(), view(client)).peers.map((p) => p.address)).toEqual(['192.0.2.1']);
    expect(planRouting(parseConfig('nodeName: node-a', { source: 't', env: {}, hostname: 'h' }), view(client)).peers.map((p) => p.address)).toEqual(['192.0.2.2', '192.0.2.3']);
    const bad = [node('node-a', '192.0.2.1', '10.244.1.0/24', { annotations: { 'kube-router.io/rr.server': 'rack-1' } }), three[1], three[2]];
    const p = planRouting(cfg(), view(bad));
    expect(p.problems).toEqual(['node node-a: cluster ID "rack-1" is neither an IPv4 address nor a 32-bit number; ignored']);
    // Not a reflector then: the full mesh stays.
    expect(p.peers.map((x) => x.address)).toEqual(['192.0.2.1', '192.0.2.3']);
  });
});

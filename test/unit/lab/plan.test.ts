// The lab's pure parts: layout per topology, the default workload, object references, the
// matrix rendering, and the view digest the lab and the agents agree on.

import { describe, expect, it } from 'vitest';
import { ClusterStore, viewDigest } from '../../../src/agent/cluster-store.js';
import { parseManifests } from '../../../src/k8s/manifests.js';
import { renderLabMatrix, matrixDiff } from '../../../src/lab/observe.js';
import { refOf } from '../../../src/lab/objects.js';
import { defaultObjects, nodeObject, planNode, routingObjects } from '../../../src/lab/plan.js';
import type { Matrix } from '../../../src/policy/matrix.js';

describe('lab layout', () => {
  it('mesh nodes share a segment; tor nodes each get a /24 to the router and an AS of their own', () => {
    const m = planNode({ topology: 'mesh', router: 'bird', ipv6: true }, 'node-2', 2);
    expect(m).toMatchObject({ ip4: '192.168.100.2', ip6: 'fd00:192:168:100::2', podCidrs: ['10.244.2.0/24', 'fd00:10:244:2::/64'], asn: 64512, routerSide: [] });
    const t = planNode({ topology: 'tor', router: 'frr', ipv6: false }, 'node-3', 3);
    expect(t).toMatchObject({ ip4: '172.16.3.2', gateway4: '172.16.3.1', routerSide: ['172.16.3.1/24'], asn: 64603, ip6: undefined });
    expect(nodeObject({ topology: 'tor', router: 'frr', ipv6: false }, t)).toMatchObject({ metadata: { annotations: { 'meridian.io/asn': '64603' } } });
    expect(() => planNode({ topology: 'mesh', router: 'bird', ipv6: false }, 'n', 201)).toThrow(/1-200/);
  });

  it('routing objects: none for the mesh or a node reflector; mesh off and a global peer otherwise', () => {
    expect(routingObjects({ topology: 'mesh', router: 'bird', ipv6: true })).toEqual([]);
    expect(routingObjects({ topology: 'rr', router: 'meridian', ipv6: false })).toEqual([]);
    expect(nodeObject({ topology: 'rr', router: 'meridian', ipv6: false }, planNode({ topology: 'rr', router: 'meridian', ipv6: false }, 'node-1', 1))).toMatchObject({
      metadata: { annotations: { 'kube-router.io/rr.server': '1' } },
    });
    const tor = routingObjects({ topology: 'tor', router: 'gobgp', ipv6: true });
    expect(tor.map((d) => [d['kind'], (d['spec'] as Record<string, unknown>)['peerIP'] ?? (d['spec'] as Record<string, unknown>)['nodeToNodeMesh']])).toEqual([
      ['BGPConfiguration', false],
      ['BGPPeer', '172.16.0.1'],
      ['BGPPeer', 'fd00:172:16::1'],
    ]);
    // Every object the lab writes decodes cleanly, as the agent will decode it.
    const docs = [...tor, ...routingObjects({ topology: 'rr', router: 'bird', ipv6: true }), nodeObject({ topology: 'tor', router: 'bird', ipv6: true }, planNode({ topology: 'tor', router: 'bird', ipv6: true }, 'node-1', 1))];
    for (const d of docs) expect(parseManifests(JSON.stringify(d), 'x').problems).toEqual([]);
  });

  it('the default workload is the upstream e2e model, spread over the nodes in turn', () => {
    const docs = defaultObjects(['node-1', 'node-2']);
    expect(docs.filter((d) => d['kind'] === 'Namespace').map((d) => refOf(d).name)).toEqual(['x', 'y', 'z']);
    const pods = docs.filter((d) => d['kind'] === 'Pod');
    expect(pods.map((d) => `${refOf(d).namespace}/${refOf(d).name}@${String((d['spec'] as { nodeName: string }).nodeName)}`)).toEqual([
      'x/a@node-1', 'x/b@node-2', 'x/c@node-1', 'y/a@node-2', 'y/b@node-1', 'y/c@node-2', 'z/a@node-1', 'z/b@node-2', 'z/c@node-1',
    ]);
    const parsed = parseManifests(JSON.stringify(pods[0]), 'p');
    expect(parsed.objects[0]).toMatchObject({ labels: { pod: 'a' }, ports: expect.arrayContaining([{ name: 'serve-81-udp', containerPort: 81, protocol: 'UDP' }]) });
    expect(parseManifests(JSON.stringify(docs[0]), 'n').objects[0]).toMatchObject({ labels: { ns: 'x', 'kubernetes.io/metadata.name': 'x' } });
  });

  it('refOf defaults namespaced kinds to "default" and leaves cluster kinds without one', () => {
    expect(refOf({ kind: 'Pod', metadata: { name: 'p' } })).toEqual({ kind: 'Pod', namespace: 'default', name: 'p' });
    expect(refOf({ kind: 'BGPPeer', metadata: { name: 'tor', namespace: 'ignored' } })).toEqual({ kind: 'BGPPeer', namespace: '', name: 'tor' });
  });
});

describe('matrix rendering and comparison', () => {
  const m: Matrix = {
    pods: ['x/a', 'x/b'],
    results: [
      { from: 'x/a', to: 'x/b', port: 80, protocol: 'TCP', allowed: true },
      { from: 'x/b', to: 'x/a', port: 80, protocol: 'TCP', allowed: false },
    ],
  };
  it('prints a truth table, and marks cells that differ from a prediction', () => {
    expect(renderLabMatrix(m, { color: false })).toBe('TCP/80 x/a x/b\nx/a -   .\nx/b X   -\n\n1 of 2 allowed\n');
    const predicted: Matrix = { pods: m.pods, results: m.results.map((r) => ({ ...r, allowed: true })) };
    const out = renderLabMatrix(m, { color: false, predicted });
    expect(out).toContain('x/b !   -');
    expect(out).toContain('1 cells ("!") differ');
    expect(matrixDiff(m, predicted)).toEqual([m.results[1]]);
    expect(renderLabMatrix(m, { color: true })).toContain('\u001b[31mX');
  });
});

describe('view digest', () => {
  it('ignores order and changes with any field', () => {
    const objs = parseManifests('apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n', 'x').objects;
    expect(viewDigest(objs)).toBe(viewDigest([...objs].reverse()));
    const relabelled = parseManifests('apiVersion: v1\nkind: Namespace\nmetadata: {name: a, labels: {k: v}}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n', 'x').objects;
    expect(viewDigest(relabelled)).not.toBe(viewDigest(objs));
    expect(viewDigest(objs)).toMatch(/^[0-9a-f]{16}$/);
  });

  it('the agent store digests its objects exactly as viewDigest does (what the lab waits for)', () => {
    const objs = parseManifests('apiVersion: v1\nkind: Namespace\nmetadata: {name: a, labels: {x: y}}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a}\nspec: {nodeName: n, containers: [{name: c, image: i, ports: [{containerPort: 80}]}]}\nstatus: {podIPs: [{ip: 10.0.0.1}]}\n', 'x').objects;
    const store = new ClusterStore();
    store.apply({ type: 'replace', objects: objs, problems: [] });
    expect(store.digest()).toBe(viewDigest(store.list()));
    expect(store.digest()).toBe(viewDigest(objs));
  });
});

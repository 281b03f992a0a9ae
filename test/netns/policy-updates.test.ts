// Update sequences and the "no fail-open window" guarantees, on real nodes with real probes
// (same two-node, dual-stack x/y/z x a/b/c world as the conformance suite):
//   - apply, change and delete policies, relabel a pod and a namespace; the full table (IPv4 and
//     IPv6, TCP/UDP 80/81) is re-probed after each step against the prediction and an expected
//     truth table, and relabels are shown to change only ipset members;
//   - a new pod whose veth exists before its policy does is cut off in both directions until the
//     agent knows it (the dispatch chains end in DROP), then gets exactly its policy;
//   - fresh applier instances converging over existing kernel state, every chain rewritten (tags
//     stripped first, as after an upgrade or tampering) and the policy switching back and forth,
//     while every flow denied before and after is probed continuously: none ever gets through.

import { describe, expect, it } from 'vitest';
import { parseManifests } from '../../src/k8s/manifests.js';
import type { KubeObject, Pod, Protocol } from '../../src/k8s/objects.js';
import { compile } from '../../src/policy/compile.js';
import { predictMatrix } from '../../src/policy/matrix.js';
import { modelFromObjects } from '../../src/policy/model.js';
import { applyPolicy } from '../../src/policy/writer.js';
import { np } from '../unit/policy/e2e-cases.js';
import { e2eObjects, type PodOverride, type Reachability } from '../unit/policy/e2e-model.js';
import { applyAndProbe } from './policy-check.js';
import { useE2eCluster, type Cell } from './policy-cluster.js';

const e2e = useE2eCluster();

const P = {
  denyX: np('x', 'deny', 'podSelector: {}'),
  allowYToA: np('x', 'allow-to-a', 'podSelector: {matchLabels: {pod: a}}\ningress:\n- from:\n  - namespaceSelector: {matchLabels: {ns: y}}'),
  // The same policy (same name), changed: now from namespace z, and only on port 81.
  allowZToA81: np('x', 'allow-to-a', 'podSelector: {matchLabels: {pod: a}}\ningress:\n- from:\n  - namespaceSelector: {matchLabels: {ns: z}}\n  ports: [{port: 81}]'),
  clients: np('x', 'clients', 'podSelector: {}\ningress:\n- from:\n  - podSelector: {matchLabels: {role: client}}\n    namespaceSelector: {}'),
  team: np('x', 'team', 'podSelector: {}\ningress:\n- from:\n  - namespaceSelector: {matchLabels: {team: blue}}'),
};

interface State {
  readonly policies: string;
  readonly podOverrides?: Record<string, PodOverride>;
  readonly nsLabels?: Record<string, Record<string, string>>;
  readonly extraPods?: readonly Pod[];
}

function objectsOf(s: State): KubeObject[] {
  const parsed = parseManifests(s.policies, 'step.yaml');
  expect(parsed.problems).toEqual([]);
  return [...e2eObjects({ dualStack: true, podOverrides: s.podOverrides, nsLabels: s.nsLabels }), ...(s.extraPods ?? []), ...parsed.objects];
}

const intoX = (r: Reachability): Reachability => r.expectPeer({}, { ns: 'x' }, false);
const all = (build: (r: Reachability) => Reachability): Record<string, (r: Reachability) => Reachability> => ({
  'TCP/80': build,
  'TCP/81': build,
  'UDP/80': build,
  'UDP/81': build,
});

const XD: Pod = {
  kind: 'Pod',
  namespace: 'x',
  name: 'd',
  labels: { pod: 'd' },
  nodeName: 'node-1',
  hostNetwork: false,
  podIPs: ['10.244.1.4', 'fd00:10:244:1::4'],
  ports: [{ name: 'serve-80-tcp', containerPort: 80, protocol: 'TCP' }],
  phase: 'Running',
};

describe('update sequences, re-probed after every step', () => {
  it('apply, change, relabel, delete', async () => {
    // 1. Default deny into x.
    await applyAndProbe(e2e.cluster, objectsOf({ policies: P.denyX }), { expected: all(intoX) });

    // 2. Add a policy: y may reach x/a.
    await applyAndProbe(e2e.cluster, objectsOf({ policies: P.denyX + P.allowYToA }), {
      expected: all((r) => intoX(r).expectPeer({ ns: 'y' }, { ns: 'x', pod: 'a' }, true)),
    });

    // 3. Change that policy in place: z, TCP 81 only (a port without protocol is TCP). Its chain is rewritten.
    const changed = await applyAndProbe(e2e.cluster, objectsOf({ policies: P.denyX + P.allowZToA81 }), {
      expected: { 'TCP/80': intoX, 'UDP/80': intoX, 'TCP/81': (r) => intoX(r).expectPeer({ ns: 'z' }, { ns: 'x', pod: 'a' }, true), 'UDP/81': intoX },
    });
    expect([...changed.plans.values()].some((p) => p.iptables.length > 0)).toBe(true);

    // 4. Replace it by "clients may reach x"; nobody is a client yet.
    await applyAndProbe(e2e.cluster, objectsOf({ policies: P.denyX + P.clients }), { expected: all(intoX) });

    // 5. Relabel pod y/b as a client: only ipset members change, on every node.
    const client = { 'y/b': { labels: { pod: 'b', role: 'client' } } };
    const relabelled = await applyAndProbe(e2e.cluster, objectsOf({ policies: P.denyX + P.clients, podOverrides: client }), {
      expected: all((r) => intoX(r).expectPeer({ ns: 'y', pod: 'b' }, { ns: 'x' }, true)),
    });
    for (const plan of relabelled.plans.values()) expect(plan.iptables).toEqual([]);
    expect([...relabelled.plans.values()].some((p) => p.ipsetBefore.length > 0)).toBe(true);

    // 6. Add the "team blue" policy, then relabel namespace z into the team: ipset-only again.
    await applyAndProbe(e2e.cluster, objectsOf({ policies: P.denyX + P.clients + P.team, podOverrides: client }), {
      expected: all((r) => intoX(r).expectPeer({ ns: 'y', pod: 'b' }, { ns: 'x' }, true)),
    });
    const nsRelabelled = await applyAndProbe(e2e.cluster, objectsOf({ policies: P.denyX + P.clients + P.team, podOverrides: client, nsLabels: { z: { team: 'blue' } } }), {
      expected: all((r) => intoX(r).expectPeer({ ns: 'y', pod: 'b' }, { ns: 'x' }, true).expectPeer({ ns: 'z' }, { ns: 'x' }, true)),
    });
    for (const plan of nsRelabelled.plans.values()) expect(plan.iptables).toEqual([]);

    // 7. Relabel the pod back: its access goes away again.
    await applyAndProbe(e2e.cluster, objectsOf({ policies: P.denyX + P.clients + P.team, nsLabels: { z: { team: 'blue' } } }), {
      expected: all((r) => intoX(r).expectPeer({ ns: 'z' }, { ns: 'x' }, true)),
    });

    // 8. Delete every policy: everything is reachable, and the policy chains are gone.
    const deleted = await applyAndProbe(e2e.cluster, objectsOf({ policies: '' }), { expected: all((r) => r) });
    for (const plan of deleted.plans.values()) expect(plan.iptables.map((t) => t.text).join('')).toMatch(/^-X MRD-/m);
  }, 60_000);
});

describe('no fail-open window', () => {
  const S1: State = { policies: P.denyX + P.allowYToA, extraPods: [XD] };
  const S2: State = { policies: P.denyX + P.allowZToA81, extraPods: [XD] };

  it('a new pod is cut off until its policy is in place, then gets exactly that policy', async () => {
    await e2e.cluster.apply(objectsOf({ policies: P.denyX + P.allowYToA }));
    // x/d is wired (veth, routes, servers) but the agent has not seen it.
    await e2e.cluster.addPod({ ns: 'x', name: 'd', node: 'node-1', ips: XD.podIPs });
    const cells: Cell[] = ['y/a', 'y/b', 'x/a', 'z/c'].flatMap((peer) =>
      (['TCP', 'UDP'] as const).flatMap((protocol) => [
        { from: 'x/d', to: peer, port: 80, protocol },
        { from: peer, to: 'x/d', port: 80, protocol },
      ]),
    );
    for (const family of [4, 6] as const) {
      const seen = await e2e.cluster.observe(cells, family);
      expect(seen.filter((c) => c.allowed).map((c) => `IPv${family} ${c.protocol} ${c.from} -> ${c.to}`)).toEqual([]);
    }
    // Once known: its egress is open (no egress policy; x's ingress isolation still applies to
    // x's pods), its ingress only what policy allows (nothing: x/d is not "a").
    const known = await applyAndProbe(e2e.cluster, objectsOf(S1));
    const xd = known.v4.filter((r) => r.from === 'x/d' || r.to === 'x/d');
    expect(xd.filter((r) => r.from === 'x/d' && !r.to.startsWith('x/')).every((r) => r.allowed)).toBe(true);
    expect(xd.filter((r) => r.to === 'x/d').some((r) => r.allowed)).toBe(false);
  }, 30_000);

  it('fresh appliers rewriting every chain over live state never let a denied flow through', async () => {
    await e2e.cluster.apply(objectsOf(S1));
    const cells = { ports: [80, 81], protocols: ['TCP', 'UDP'] as Protocol[] };
    const denied = (s: State, family: 4 | 6): Set<string> =>
      new Set(predictMatrix(modelFromObjects(objectsOf(s)), { ...cells, family }).results.filter((r) => !r.allowed).map((r) => JSON.stringify({ from: r.from, to: r.to, port: r.port, protocol: r.protocol })));
    const watch = ([4, 6] as const).map((family) => {
      const d2 = denied(S2, family);
      return { family, cells: [...denied(S1, family)].filter((k) => d2.has(k)).map((k) => JSON.parse(k) as Cell) };
    });
    expect(watch[0]?.cells.length).toBeGreaterThan(100);

    let stop = false;
    let rounds = 0;
    const leaks: string[] = [];
    const prober = (async () => {
      while (!stop) {
        for (const w of watch) {
          const seen = await Promise.all(w.cells.map(async (c) => ({ c, r: await e2e.cluster.probe(c, w.family, 150) })));
          for (const { c, r } of seen) if (r.ok) leaks.push(`IPv${w.family} ${c.protocol}/${c.port} ${c.from} -> ${c.to}`);
        }
        rounds++;
      }
    })();

    let rewrites = 0;
    for (let i = 0; i < 8; i++) {
      const state = i % 2 === 0 ? S2 : S1;
      for (const [name, node] of e2e.cluster.nodes) {
        // Strip our tags, as an older agent version or a meddler would leave things: every chain
        // of ours then looks foreign to its content and is rewritten by the next apply.
        for (const tool of ['iptables', 'ip6tables']) {
          const saved = (await e2e.world.exec(node.netns, [`${tool}-save`, '-t', 'filter'])).stdout;
          await e2e.world.exec(node.netns, [`${tool}-restore`], { input: saved.replace(/mrd:[A-Z2-7]{16} /g, 'old ') });
        }
        // A fresh applier: new compile, new observe of the kernel, nothing kept from before.
        const plan = await applyPolicy(compile(modelFromObjects(objectsOf(state)), { node: name }), { run: node.run, families: [4, 6] });
        expect(plan.iptables).toHaveLength(2);
        rewrites++;
      }
    }
    stop = true;
    await prober;
    expect(leaks).toEqual([]);
    expect(rewrites).toBe(16);
    expect(rounds).toBeGreaterThan(3);
    // And the end state is exactly S1's table.
    await applyAndProbe(e2e.cluster, objectsOf(S1));
  }, 60_000);
});

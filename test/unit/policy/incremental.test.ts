// Property: the incremental compile (incremental.ts) gives the same IR as the full compile after
// every step of a random update sequence (policies added, changed, deleted; pods added, removed,
// relabelled, moved, re-ported, finished; namespaces relabelled; objects re-created with equal
// content), and planning from the last IR (plan-delta.ts) gives the same plan as planning against
// what the kernel holds after applying it (assumed.ts, itself checked against restored text in
// syncer.test.ts).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseManifests } from '../../../src/k8s/manifests.js';
import type { KubeObject, Namespace, Pod } from '../../../src/k8s/objects.js';
import { assumedAfter } from '../../../src/policy/assumed.js';
import { compile } from '../../../src/policy/compile.js';
import { IncrementalCompiler } from '../../../src/policy/incremental.js';
import type { CompiledPolicy } from '../../../src/policy/ir.js';
import { modelFromObjects } from '../../../src/policy/model.js';
import { planDelta } from '../../../src/policy/plan-delta.js';
import { isEmptyPlan, planPolicy } from '../../../src/policy/plan.js';
import { policiesYaml, policy, type PolicyShape } from './arbitraries.js';
import { e2eObjects } from './e2e-model.js';

const NODES = ['node-1', 'node-2'] as const;
const POD_LABELS: Record<string, string>[] = [{ pod: 'a' }, { pod: 'b' }, { pod: 'c' }, { pod: 'a', role: 'client' }, {}];
const NS_EXTRA: Record<string, string>[] = [{}, { team: 't1' }, { ns: 'y' }, { ns: 'q' }];
const POD_KEYS = ['x/a', 'x/b', 'y/c', 'z/a', 'x/d', 'y/e'];

type Op =
  | { type: 'policy'; slot: number; policy: PolicyShape | null }
  | { type: 'labels'; pod: string; labels: number }
  | { type: 'ns'; ns: string; extra: number }
  | { type: 'add'; pod: string; node: number; ip: number }
  | { type: 'remove'; pod: string }
  | { type: 'move'; pod: string; node: number }
  | { type: 'ports'; pod: string; port: number }
  | { type: 'phase'; pod: string; hostNetwork: boolean }
  | { type: 'recreate' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ type: fc.constant('policy' as const), slot: fc.nat(3), policy: fc.option(policy, { freq: 4 }) }) },
  fc.record({ type: fc.constant('labels' as const), pod: fc.constantFrom(...POD_KEYS), labels: fc.nat(POD_LABELS.length - 1) }),
  fc.record({ type: fc.constant('ns' as const), ns: fc.constantFrom('x', 'y', 'z', 'w'), extra: fc.nat(NS_EXTRA.length - 1) }),
  fc.record({ type: fc.constant('add' as const), pod: fc.constantFrom(...POD_KEYS), node: fc.nat(1), ip: fc.integer({ min: 10, max: 12 }) }),
  fc.record({ type: fc.constant('remove' as const), pod: fc.constantFrom(...POD_KEYS) }),
  fc.record({ type: fc.constant('move' as const), pod: fc.constantFrom(...POD_KEYS), node: fc.nat(1) }),
  fc.record({ type: fc.constant('ports' as const), pod: fc.constantFrom(...POD_KEYS), port: fc.constantFrom(80, 81, 8080) }),
  fc.record({ type: fc.constant('phase' as const), pod: fc.constantFrom(...POD_KEYS), hostNetwork: fc.boolean() }),
  fc.constant({ type: 'recreate' as const }),
);

const key = (o: KubeObject): string => `${o.kind}/${'namespace' in o ? o.namespace : ''}/${o.name}`;

class World {
  readonly objects = new Map<string, KubeObject>();
  readonly policies: (PolicyShape | null)[] = [null, null, null, null];
  private policyObjects: KubeObject[] = [];

  constructor() {
    for (const o of e2eObjects({ dualStack: true })) this.objects.set(key(o), o);
  }

  objs(): KubeObject[] {
    return [...this.objects.values(), ...this.policyObjects];
  }

  private pod(ref: string): Pod | undefined {
    const o = this.objects.get(`Pod/${ref}`);
    return o?.kind === 'Pod' ? o : undefined;
  }

  private setPod(p: Pod): void {
    this.objects.set(key(p), p);
  }

  apply(o: Op): void {
    switch (o.type) {
      case 'policy': {
        this.policies[o.slot] = o.policy;
        const shapes = this.policies.flatMap((p, i) => (p === null ? [] : [{ p, name: `s${i}` }]));
        const parsed = parseManifests(policiesYaml(shapes.map((s) => s.p), shapes.map((s) => s.name)), 'gen');
        // Unchanged policies keep their object (as a watcher would): the compiler must still see the changed one.
        const old = new Map(this.policyObjects.map((x) => [key(x), x]));
        this.policyObjects = parsed.objects.map((x) => {
          const was = old.get(key(x));
          return was !== undefined && JSON.stringify(was) === JSON.stringify(x) ? was : x;
        });
        return;
      }
      case 'labels': {
        const p = this.pod(o.pod);
        if (p !== undefined) this.setPod({ ...p, labels: POD_LABELS[o.labels] ?? {} });
        return;
      }
      case 'ns': {
        const labels = { 'kubernetes.io/metadata.name': o.ns, ns: o.ns, ...(NS_EXTRA[o.extra] ?? {}) };
        const n: Namespace = { kind: 'Namespace', name: o.ns, labels };
        this.objects.set(key(n), n);
        return;
      }
      case 'add': {
        const [ns = '', name = ''] = o.pod.split('/');
        this.setPod({
          kind: 'Pod', namespace: ns, name, labels: { pod: name }, nodeName: NODES[o.node], hostNetwork: false,
          // .10-.12 can collide with another added pod: shared addresses must survive either going.
          podIPs: [`10.244.9.${o.ip}`, `fd00:10:244:9::${o.ip}`],
          ports: [{ name: 'serve-80-tcp', containerPort: 80, protocol: 'TCP' }], phase: 'Running',
        });
        return;
      }
      case 'remove':
        this.objects.delete(`Pod/${o.pod}`);
        return;
      case 'move': {
        const p = this.pod(o.pod);
        if (p !== undefined) this.setPod({ ...p, nodeName: NODES[o.node] });
        return;
      }
      case 'ports': {
        const p = this.pod(o.pod);
        if (p !== undefined) this.setPod({ ...p, ports: [{ name: 'serve-80-tcp', containerPort: o.port, protocol: 'TCP' }, { name: 'serve-81-udp', containerPort: 81, protocol: 'UDP' }] });
        return;
      }
      case 'phase': {
        const p = this.pod(o.pod);
        if (p !== undefined) this.setPod(o.hostNetwork ? { ...p, hostNetwork: true } : { ...p, phase: 'Failed' });
        return;
      }
      case 'recreate':
        for (const [k, v] of this.objects) this.objects.set(k, structuredClone(v));
        this.policyObjects = this.policyObjects.map((x) => structuredClone(x));
        return;
    }
  }
}

describe('incremental compile', () => {
  it('equals the full compile, and the delta plan equals the plan against the assumed kernel, over random updates', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 12 }), (ops) => {
        const world = new World();
        const inc = NODES.map((node) => new IncrementalCompiler({ node }));
        let prev: { full: CompiledPolicy; inc: CompiledPolicy }[] | undefined;
        for (const o of [{ type: 'recreate' as const }, ...ops]) {
          world.apply(o);
          const model = modelFromObjects(world.objs());
          const now = NODES.map((node, i) => ({ full: compile(model, { node }), inc: inc[i]?.compile(model) as CompiledPolicy }));
          for (const n of now) expect(n.inc).toEqual(n.full);
          if (prev !== undefined) {
            for (const [i, n] of now.entries()) {
              const p = prev[i];
              if (p === undefined) continue;
              const reference = planPolicy(n.full, assumedAfter(p.full));
              expect(planDelta(p.inc, n.inc)).toEqual(reference);
              expect(planDelta(p.full, n.full)).toEqual(reference);
            }
          }
          prev = now;
        }
      }),
      { numRuns: 150 },
    );
  });

  it('hands back the same tables when only set members change, and the delta plan is ipset-only', () => {
    const world = new World();
    world.apply({ type: 'policy', slot: 0, policy: { ns: 'x', sel: '{}', types: '', ingress: ['{from: [{namespaceSelector: {matchLabels: {team: t1}}}]}'], egress: null } });
    const inc = new IncrementalCompiler({ node: 'node-1' });
    const before = inc.compile(modelFromObjects(world.objs()));
    world.apply({ type: 'ns', ns: 'y', extra: 1 });
    const after = inc.compile(modelFromObjects(world.objs()));
    expect(after.v4).toBe(before.v4);
    expect(after.v6).toBe(before.v6);
    const plan = planDelta(before, after);
    expect(plan.iptables).toEqual([]);
    expect(plan.ipsetBefore.length).toBeGreaterThan(0);
    expect(isEmptyPlan(planDelta(after, inc.compile(modelFromObjects(world.objs()))))).toBe(true);
  });
});

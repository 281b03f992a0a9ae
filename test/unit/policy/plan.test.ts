// Planner: against a kernel that already holds the desired state the plan is empty; a pod event
// that only changes set members yields ipset lines and no iptables-restore; ipBlock sets are
// swapped via a temporary set; stale objects of ours are removed (sets after rules); nothing that
// is not ours is ever named in a plan.

import { describe, expect, it } from 'vitest';
import { parseIpsetSave } from '../../../src/net/ipset.js';
import { parseIptablesSave } from '../../../src/net/iptables.js';
import type { Family } from '../../../src/net/ip.js';
import type { KubeObject, Pod } from '../../../src/k8s/objects.js';
import { compile } from '../../../src/policy/compile.js';
import type { CompiledPolicy } from '../../../src/policy/ir.js';
import { modelFromObjects } from '../../../src/policy/model.js';
import { isEmptyPlan, orderedPlan, planPolicy, type ObservedPolicy } from '../../../src/policy/plan.js';
import { isOurSet, tempSetName } from '../../../src/policy/names.js';
import { renderIpsets } from '../../../src/policy/render-ipset.js';
import { renderTable } from '../../../src/policy/render-iptables.js';
import { e2eObjects } from './e2e-model.js';
import { parseManifests } from '../../../src/k8s/manifests.js';

const FOREIGN = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':KUBE-SERVICES - [0:0]', '-A FORWARD -j KUBE-SERVICES', '-A KUBE-SERVICES -j RETURN', 'COMMIT'];

/** What iptables-save/ipset save would print after a fresh apply of `c` on top of FOREIGN. */
function kernelAfter(c: CompiledPolicy): ObservedPolicy {
  const tables = new Map<Family, ReturnType<typeof parseIptablesSave> extends Map<string, infer T> ? T : never>();
  for (const f of [4, 6] as const) {
    const t = renderTable(f === 4 ? c.v4 : c.v6).split('\n');
    const ours = t.filter((l) => l.startsWith(':') || l.startsWith('-A '));
    const hook = t.filter((l) => l.startsWith('-I FORWARD 1 ')).map((l) => l.replace('-I FORWARD 1 ', '-A FORWARD '));
    const text = [...FOREIGN.slice(0, 5), ...ours.filter((l) => l.startsWith(':')), ...hook, ...FOREIGN.slice(5, 7), ...ours.filter((l) => l.startsWith('-A')), 'COMMIT'].join('\n');
    const saved = parseIptablesSave(text).get('filter');
    if (saved !== undefined) tables.set(f, saved);
  }
  // ipset save prints "add NAME ENTRY nomatch" as the restore lines do.
  return { sets: parseIpsetSave(renderIpsets(c.sets).join('\n')), tables };
}

const POLICIES = parseManifests(
  `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {namespace: x, name: p}
spec:
  podSelector: {}
  ingress:
  - from: [{podSelector: {matchLabels: {role: client}}, namespaceSelector: {}}, {ipBlock: {cidr: 10.0.0.0/8, except: [10.244.3.0/24]}}]
`,
  't',
).objects;

function model(extra: KubeObject[] = []) {
  return modelFromObjects([...e2eObjects({ dualStack: true }), ...POLICIES, ...extra]);
}

describe('planPolicy', () => {
  it('is empty against a kernel that holds the desired state', () => {
    const c = compile(model(), { node: 'node-1' });
    expect(isEmptyPlan(planPolicy(c, kernelAfter(c)))).toBe(true);
  });

  it('creates sets before the rules and never names foreign chains', () => {
    const c = compile(model(), { node: 'node-1' });
    const empty: ObservedPolicy = { sets: new Map(), tables: new Map([[4, parseIptablesSave(FOREIGN.join('\n')).get('filter')]]) };
    const plan = planPolicy(c, empty, { families: [4] });
    expect(plan.ipsetBefore.filter((l) => l.startsWith('create')).length).toBe(c.sets.filter((s) => s.family === 4).length);
    expect(plan.iptables).toHaveLength(1);
    expect(plan.iptables[0]?.text).not.toContain('KUBE-SERVICES');
    expect(plan.iptables[0]?.text).toContain('-I FORWARD 1 -m comment --comment');
    expect(plan.ipsetAfter).toEqual([]);
  });

  it('turns a remote pod relabel into set member changes only', () => {
    const before = compile(model(), { node: 'node-1' });
    const newcomer: Pod = { kind: 'Pod', namespace: 'z', name: 'client', labels: { role: 'client' }, nodeName: 'node-2', hostNetwork: false, podIPs: ['10.244.3.9', 'fd00:10:244:3::9'], ports: [], phase: 'Running' };
    const after = compile(model([newcomer]), { node: 'node-1' });
    const plan = planPolicy(after, kernelAfter(before));
    expect(plan.iptables).toEqual([]);
    expect(plan.ipsetAfter).toEqual([]);
    expect(plan.ipsetBefore.filter((l) => l.startsWith('add'))).toHaveLength(2);
    expect(plan.ipsetBefore.every((l) => l.startsWith('add mrd-sel'))).toBe(true);
  });

  it('refills an ipBlock set through a temporary set and a swap', () => {
    const c = compile(model(), { node: 'node-1' });
    const observed = kernelAfter(c);
    const blk = [...observed.sets.values()].find((s) => s.name.startsWith('mrd-blk4'));
    if (blk === undefined) throw new Error('no ipBlock set');
    blk.members.splice(0, blk.members.length, '10.0.0.0/8');
    const plan = planPolicy(c, observed);
    expect(plan.iptables).toEqual([]);
    expect(plan.ipsetBefore.some((l) => l.startsWith(`swap mrd-tmp-`) && l.endsWith(blk.name))).toBe(true);
    expect(plan.ipsetBefore.at(-1)).toMatch(/^destroy mrd-tmp-/);
  });

  it('rewrites a tampered chain and re-inserts a moved hook, and only those', () => {
    const c = compile(model(), { node: 'node-1' });
    const observed = kernelAfter(c);
    const t4 = observed.tables.get(4);
    const fwd = t4?.chains.get('FORWARD');
    const pod = t4?.chains.get('MERIDIAN-POD');
    if (fwd === undefined || pod === undefined) throw new Error('missing chains');
    fwd.rules.reverse(); // our hook is no longer first
    pod.rules.splice(0, 1); // someone deleted the INVALID drop
    const plan = planPolicy(c, observed);
    expect(plan.iptables.map((t) => t.family)).toEqual([4]);
    const text = plan.iptables[0]?.text ?? '';
    expect(text.split('\n').filter((l) => l.startsWith(':'))).toEqual([':MERIDIAN-POD - [0:0]']);
    expect(text).toMatch(/^-D FORWARD -m comment --comment "mrd:\w+ meridian network policy" -j MERIDIAN-FORWARD$/m);
    expect(text).toMatch(/^-I FORWARD 1 /m);
  });

  it('removes everything of ours, sets after rules, on null', () => {
    const c = compile(model(), { node: 'node-1' });
    const plan = planPolicy(null, kernelAfter(c));
    expect(plan.ipsetBefore).toEqual([]);
    expect(plan.ipsetAfter.length).toBe(c.sets.length);
    for (const t of plan.iptables) {
      expect(t.text).toContain('-X MERIDIAN-FORWARD');
      expect(t.text).toContain('-D FORWARD -m comment');
      expect(t.text).not.toContain('KUBE-SERVICES');
      expect(t.text).not.toContain('-A ');
    }
  });

  it('with rule changes, additions to existing sets come after iptables-restore; new sets are filled before', () => {
    const before = ['create mrd-new hash:ip family inet', 'add mrd-new 10.0.0.1', 'del mrd-old 10.0.0.2', 'add mrd-old 10.0.0.3'];
    const tables = [{ family: 4 as Family, text: '*filter\nCOMMIT\n' }];
    expect(orderedPlan(before, tables, ['destroy mrd-gone'])).toEqual({
      ipsetBefore: ['create mrd-new hash:ip family inet', 'add mrd-new 10.0.0.1', 'del mrd-old 10.0.0.2'],
      iptables: tables,
      ipsetAfter: ['add mrd-old 10.0.0.3', 'destroy mrd-gone'],
    });
    // Members only: the rules are the same throughout, so everything goes in one step before.
    expect(orderedPlan(before, [], [])).toEqual({ ipsetBefore: before, iptables: [], ipsetAfter: [] });
  });

  it('a target moving off a policy while a new peer joins its set never opens the peer to the target mid-apply', () => {
    const objs = (peerLabel: string, targetLabel: string): KubeObject[] => {
      const parsed = parseManifests(
        `kind: NetworkPolicy\nmetadata: {namespace: x, name: p}\nspec:\n  podSelector: {matchLabels: {role: db}}\n  ingress: [{from: [{podSelector: {matchLabels: {role: web}}}]}]\n---\nkind: NetworkPolicy\nmetadata: {namespace: x, name: q}\nspec:\n  podSelector: {matchLabels: {role: vault}}\n`,
        't',
      );
      return [
        // x/a is the target, x/b the peer; x/c stays selected by p, so p and its peer set live on.
        ...e2eObjects({}).map((o) => {
          if (o.kind !== 'Pod' || o.namespace !== 'x') return o;
          const role = { a: targetLabel, b: peerLabel, c: 'db' }[o.name];
          return role === undefined ? o : { ...o, labels: { ...o.labels, role } };
        }),
        ...parsed.objects,
      ];
    };
    const prev = compile(modelFromObjects(objs('none', 'db')), { node: 'node-1' });
    const next = compile(modelFromObjects(objs('web', 'vault')), { node: 'node-1' });
    const plan = planPolicy(next, kernelAfter(prev), { families: [4] });
    expect(plan.iptables.length).toBeGreaterThan(0);
    const peerIp = (e2eObjects({}).find((o) => o.kind === 'Pod' && o.namespace === 'x' && o.name === 'b') as Pod).podIPs[0] ?? '';
    expect(plan.ipsetBefore.some((l) => l.startsWith('add ') && l.includes(peerIp))).toBe(false);
    expect(plan.ipsetAfter.some((l) => l.startsWith('add ') && l.includes(peerIp))).toBe(true);
  });

  it('never plans to destroy a set that is not the policy engine\'s, such as routing\'s NAT set', () => {
    const c = compile(model(), { node: 'node-1' });
    const k = kernelAfter(c);
    const sets = new Map(k.sets).set('mrd-nomasq4', { name: 'mrd-nomasq4', type: 'hash:net', options: ['family', 'inet'], members: ['10.244.0.0/16'] });
    const plan = planPolicy(c, { ...k, sets });
    expect(isEmptyPlan(plan)).toBe(true);
    expect(isOurSet('mrd-nomasq4')).toBe(false);
    expect(c.sets.every((s) => isOurSet(s.name) && isOurSet(tempSetName(s.name)))).toBe(true);
  });
});

// Renderer: golden restore text for a small model (one file per node, reviewed by eye when it
// changes), byte-identical output for equal input in any order, and pinned rule counts that show
// rules grow with pods + policies, not with their product.

import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/k8s/objects.js';
import { compile, familiesInUse } from '../../../src/policy/compile.js';
import { modelFromObjects, type PolicyModel } from '../../../src/policy/model.js';
import { renderRestore } from '../../../src/policy/render.js';
import { parseManifests } from '../../../src/k8s/manifests.js';
import { e2eObjects } from './e2e-model.js';

const FIXTURES = new URL('../../fixtures/policy/', import.meta.url);

function fixtureModel(): PolicyModel {
  const objs: KubeObject[] = [];
  for (const f of ['e2e/cluster.yaml', 'e2e/policies.yaml']) objs.push(...parseManifests(readFileSync(new URL(f, FIXTURES), 'utf8'), f).objects);
  return modelFromObjects(objs);
}

describe('render', () => {
  for (const node of ['node-1', 'node-2']) {
    it(`matches the golden restore text for ${node}`, () => {
      const model = fixtureModel();
      const text = renderRestore(compile(model, { node }), familiesInUse(model));
      const golden = new URL(`golden/${node}.restore`, FIXTURES);
      if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(golden, text);
      expect(text).toBe(readFileSync(golden, 'utf8'));
    });
  }

  it('is byte-identical for identical input, whatever the order of objects', () => {
    const model = fixtureModel();
    const shuffled = modelFromObjects([...model.policies].reverse().concat([...model.pods].reverse() as never[], [...model.namespaces].reverse() as never[]));
    const a = renderRestore(compile(model, { node: 'node-1' }), [4, 6]);
    const b = renderRestore(compile(model, { node: 'node-1' }), [4, 6]);
    const c = renderRestore(compile(shuffled, { node: 'node-1' }), [4, 6]);
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(JSON.stringify(compile(shuffled, { node: 'node-1' }))).toBe(JSON.stringify(compile(model, { node: 'node-1' })));
  });

  it('keeps chain names within 28 characters and set names within 31', () => {
    const c = compile(fixtureModel(), { node: 'node-1' });
    for (const ch of [...c.v4.chains, ...c.v6.chains]) expect(ch.name.length).toBeLessThanOrEqual(28);
    for (const s of c.sets) expect(s.name.length).toBeLessThanOrEqual(31);
    for (const e of c.endpoints) expect(e.iface.length).toBeLessThanOrEqual(15);
  });
});

/** A cluster of `pods` pods in 10 namespaces on one node, and `policies` policies each selecting one app. */
function scaled(pods: number, policies: number): PolicyModel {
  const objs: KubeObject[] = [];
  for (let i = 0; i < pods; i++) {
    objs.push({
      kind: 'Pod',
      namespace: `ns${i % 10}`,
      name: `p${i}`,
      labels: { app: `app${i % 20}` },
      nodeName: 'n1',
      hostNetwork: false,
      podIPs: [`10.${1 + Math.floor(i / 65536)}.${Math.floor(i / 256) % 256}.${i % 256}`],
      ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
      phase: 'Running',
    });
  }
  let yaml = '';
  for (let j = 0; j < policies; j++) {
    yaml += `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {namespace: ns${j % 10}, name: pol${j}}\nspec:\n  podSelector: {matchLabels: {app: app${j % 20}}}\n  ingress:\n  - from: [{podSelector: {matchLabels: {app: app${(j + 1) % 20}}}}, {namespaceSelector: {matchLabels: {team: t${j % 3}}}}]\n    ports: [{port: http}, {port: 9000, endPort: 9100}]\n---\n`;
  }
  return modelFromObjects([...objs, ...parseManifests(yaml, 'gen').objects]);
}

function ruleCount(model: PolicyModel): number {
  const c = compile(model, { node: 'n1' });
  return c.v4.chains.reduce((n, ch) => n + ch.rules.length, 0);
}

describe('rule counts (pinned)', () => {
  it('for the e2e model with the fixture policies', () => {
    const m = fixtureModel();
    const counts = ['node-1', 'node-2'].map((node) => {
      const c = compile(m, { node });
      return { node, chains: c.v4.chains.length, rules: c.v4.chains.reduce((n, ch) => n + ch.rules.length, 0), sets: c.sets.length };
    });
    // Endpoint chains are shared by pods with the same list of selecting policies (since policy3:
    // before, each isolated pod had its own, and node-1 had FW x/a and FW x/c, 39 rules / 9 chains).
    // node-1 (x/a, x/c, y/b, z/a, z/c): 9 fixed + 10 dispatch + one FW chain shared by x/a and x/c
    // (4) + TW x/a (4) + PI allow-y-to-a (2) + PE egress-z-and-dns (3 rules x 2) = 35.
    // node-2 (x/b, y/a, y/c, z/b): 9 + 8 + FW x/b (4) + PE (6) = 27; no ingress policy is active there.
    expect(counts).toEqual([
      { node: 'node-1', chains: 8, rules: 35, sets: 7 },
      { node: 'node-2', chains: 6, rules: 27, sets: 3 },
    ]);
  });

  it('grows with pods + policies, not pods x policies', () => {
    // Fixed part: 2 (FORWARD) + 5 (POD) + 2 dispatch drops = 9. Per pod: 2 dispatch rules. Per
    // distinct list of selecting policies: one endpoint chain of 2 + 2 per policy, shared by every
    // pod with that list. Pod i and policy j select each other iff i = j (mod 20): up to 20
    // policies each list has one policy; at 40, 20 lists of two. Per policy: 2 peers x 2 ports + 1.
    // Before policy3 every isolated pod had its own endpoint chain (459 rules instead of 299 in the
    // first case); now that term grows with policy combinations, not pods.
    expect(ruleCount(scaled(100, 10))).toBe(9 + 100 * 2 + 10 * 4 + 10 * 5);
    expect(ruleCount(scaled(200, 10))).toBe(9 + 200 * 2 + 10 * 4 + 10 * 5);
    expect(ruleCount(scaled(200, 20))).toBe(9 + 200 * 2 + 20 * 4 + 20 * 5);
    expect(ruleCount(scaled(200, 40))).toBe(9 + 200 * 2 + 20 * 6 + 40 * 5);
  });

  it('the e2e model without policies: fixed chains and a dispatch rule per local pod and direction', () => {
    const m = modelFromObjects(e2eObjects());
    expect(ruleCount(m)).toBe(9); // no pod on "n1"
    const c = compile(m, { node: 'node-1' });
    expect(c.v4.chains.reduce((n, ch) => n + ch.rules.length, 0)).toBe(9 + 5 * 2);
  });
});

// The manifests parser: YAML (multi-document) and JSON, Lists, defaults the API server applies,
// and bad documents reported with where and why, and skipped (a NetworkPolicy: used fail-closed)
// while the rest loads.

import { describe, expect, it } from 'vitest';
import { parseManifests } from '../../../src/k8s/manifests.js';
import type { NetworkPolicy } from '../../../src/k8s/objects.js';

const GOOD_POLICY = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ok, namespace: x}
spec: {podSelector: {}}`;

describe('parseManifests', () => {
  it('reads multi-document YAML, JSON and Lists with API defaults', () => {
    const yaml = `${GOOD_POLICY}
---
kind: Namespace
metadata: {name: x, labels: {team: a}}
---
kind: Pod
metadata: {name: a}
spec: {nodeName: n1, containers: [{name: c, ports: [{containerPort: 80, name: http}]}]}
status: {podIP: 10.0.0.1, podIPs: [{ip: 10.0.0.1}, {ip: "fd00:0:0::1"}]}
---
`;
    const r = parseManifests(yaml, 'a.yaml');
    expect(r.problems).toEqual([]);
    expect(r.objects.map((o) => o.kind)).toEqual(['NetworkPolicy', 'Namespace', 'Pod']);
    expect(r.objects[1]).toMatchObject({ labels: { team: 'a', 'kubernetes.io/metadata.name': 'x' } });
    expect(r.objects[2]).toMatchObject({ namespace: 'default', podIPs: ['10.0.0.1', 'fd00::1'], ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }] });
    const json = parseManifests(JSON.stringify({ kind: 'List', items: [{ kind: 'Namespace', metadata: { name: 'y' } }] }), 'b.json');
    expect(json.objects).toHaveLength(1);
  });

  // Fail closed (as Calico): what cannot be used is dropped whole, never the policy, so the pods it
  // selects stay isolated. [case, spec, reason, what is used: podSelector, policyTypes, rules left]
  const ISOLATE_NS = { matchLabels: {}, matchExpressions: [] };
  const bad: [string, string, RegExp, { podSelector?: object; policyTypes: string[]; ingress?: number; egress?: number }][] = [
    ['unknown operator', 'podSelector: {matchExpressions: [{key: a, operator: Near, values: [b]}]}', /operator/, { podSelector: ISOLATE_NS, policyTypes: ['Ingress'] }],
    ['In without values', 'podSelector: {matchExpressions: [{key: a, operator: In}]}', /must be non-empty/, { podSelector: ISOLATE_NS, policyTypes: ['Ingress'] }],
    // Its rules were meant for other pods: applied to every pod of the namespace they would open them.
    ['Exists with values', 'podSelector: {matchExpressions: [{key: a, operator: Exists, values: [b]}]}\ningress: [{}]\negress: [{}]', /must be empty/, { podSelector: ISOLATE_NS, policyTypes: ['Ingress', 'Egress'] }],
    ['ipBlock with selector', 'podSelector: {}\ningress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}]}, {}]', /may not be combined/, { policyTypes: ['Ingress'], ingress: 1 }],
    ['except outside cidr', 'podSelector: {}\ningress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, except: [11.0.0.0/16]}}]}]', /strictly within/, { policyTypes: ['Ingress'] }],
    ['bad cidr', 'podSelector: {}\negress: [{to: [{ipBlock: {cidr: 10.0.0.0/33}}]}]', /not a CIDR/, { policyTypes: ['Ingress', 'Egress'] }],
    ['empty peer', 'podSelector: {}\ningress: [{from: [{podSelector: {matchLabels: {a: b}}}, {}]}]', /must set podSelector/, { policyTypes: ['Ingress'] }],
    ['endPort below port', 'podSelector: {}\ningress: [{ports: [{port: 90, endPort: 80}]}]', /endPort/, { policyTypes: ['Ingress'] }],
    ['endPort with a name', 'podSelector: {}\ningress: [{ports: [{port: http, endPort: 80}]}]', /named port/, { policyTypes: ['Ingress'] }],
    ['bad protocol', 'podSelector: {}\ningress: [{ports: [{port: 80, protocol: ICMP}]}]', /TCP, UDP or SCTP/, { policyTypes: ['Ingress'] }],
    ['port out of range', 'podSelector: {}\ningress: [{ports: [{port: 70000}]}]', /1-65535/, { policyTypes: ['Ingress'] }],
    ['bad policyType', 'podSelector: {}\npolicyTypes: [Sideways]', /Ingress or Egress/, { policyTypes: ['Ingress', 'Egress'] }],
    ['egress not a list', 'podSelector: {}\negress: {to: []}', /must be a list/, { policyTypes: ['Ingress', 'Egress'] }],
    ['explicit types kept', 'podSelector: {}\npolicyTypes: [Egress]\negress: [{ports: [{port: 0}]}]', /1-65535/, { policyTypes: ['Egress'] }],
  ];
  for (const [name, spec, reason, used] of bad) {
    it(`reports a NetworkPolicy with ${name} and uses it fail-closed, keeping the rest`, () => {
      const text = `${GOOD_POLICY}\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: bad, namespace: x}\nspec:\n${spec
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n')}\n---\nkind: Namespace\nmetadata: {name: z}\n`;
      const r = parseManifests(text, 'p.yaml');
      expect(r.objects.map((o) => `${o.kind}/${o.name}`)).toEqual(['NetworkPolicy/ok', 'NetworkPolicy/bad', 'Namespace/z']);
      expect(r.problems).toHaveLength(1);
      expect(r.problems[0]).toMatchObject({ source: 'p.yaml', index: 1, kind: 'NetworkPolicy', name: 'bad' });
      expect(r.problems[0]?.reason).toMatch(reason);
      expect(r.problems[0]?.reason).toMatch(/^used fail-closed: /);
      const p = r.objects[1] as NetworkPolicy;
      expect(p.policyTypes).toEqual(used.policyTypes);
      expect(p.podSelector).toEqual(used.podSelector ?? ISOLATE_NS);
      expect(p.ingress).toHaveLength(used.ingress ?? 0);
      expect(p.egress).toHaveLength(used.egress ?? 0);
    });
  }

  it('defaults an absent podSelector to {} as the API server does', () => {
    const r = parseManifests('kind: NetworkPolicy\nmetadata: {name: deny, namespace: x}\nspec: {ingress: []}\n', 'p.yaml');
    expect(r.problems).toEqual([]);
    expect(r.objects[0]).toMatchObject({ podSelector: { matchLabels: {}, matchExpressions: [] }, policyTypes: undefined, ingress: [] });
  });

  it('skips a NetworkPolicy it cannot even name', () => {
    const r = parseManifests('kind: NetworkPolicy\nmetadata: {namespace: x}\nspec: {}\n', 'p.yaml');
    expect(r.objects).toEqual([]);
    expect(r.problems[0]?.reason).toMatch(/metadata.name/);
  });

  it('reports broken YAML, unknown kinds and documents without a name', () => {
    const r = parseManifests(`kind: Gadget\nmetadata: {name: g}\n---\nkind: Pod\nmetadata: {}\n---\n[unclosed\n---\n${GOOD_POLICY}\n`, 'q.yaml');
    expect(r.objects).toHaveLength(1);
    expect(r.problems.map((p) => p.index)).toEqual([0, 1, 2]);
  });
});

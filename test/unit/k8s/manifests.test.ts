// The manifests parser: YAML (multi-document) and JSON, Lists, defaults the API server applies,
// and bad documents reported with where and why, and skipped while the rest loads.

import { describe, expect, it } from 'vitest';
import { parseManifests } from '../../../src/k8s/manifests.js';

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

  const bad: [string, string, RegExp][] = [
    ['unknown operator', 'podSelector: {matchExpressions: [{key: a, operator: Near, values: [b]}]}', /operator/],
    ['In without values', 'podSelector: {matchExpressions: [{key: a, operator: In}]}', /must be non-empty/],
    ['Exists with values', 'podSelector: {matchExpressions: [{key: a, operator: Exists, values: [b]}]}', /must be empty/],
    ['no podSelector', 'ingress: []', /podSelector: required/],
    ['ipBlock with selector', 'podSelector: {}\ningress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}]}]', /may not be combined/],
    ['except outside cidr', 'podSelector: {}\ningress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, except: [11.0.0.0/16]}}]}]', /strictly within/],
    ['bad cidr', 'podSelector: {}\negress: [{to: [{ipBlock: {cidr: 10.0.0.0/33}}]}]', /not a CIDR/],
    ['empty peer', 'podSelector: {}\ningress: [{from: [{}]}]', /must set podSelector/],
    ['endPort below port', 'podSelector: {}\ningress: [{ports: [{port: 90, endPort: 80}]}]', /endPort/],
    ['endPort with a name', 'podSelector: {}\ningress: [{ports: [{port: http, endPort: 80}]}]', /named port/],
    ['bad protocol', 'podSelector: {}\ningress: [{ports: [{port: 80, protocol: ICMP}]}]', /TCP, UDP or SCTP/],
    ['port out of range', 'podSelector: {}\ningress: [{ports: [{port: 70000}]}]', /1-65535/],
    ['bad policyType', 'podSelector: {}\npolicyTypes: [Sideways]', /Ingress or Egress/],
  ];
  for (const [name, spec, reason] of bad) {
    it(`reports and skips a NetworkPolicy with ${name}, keeping the rest`, () => {
      const text = `${GOOD_POLICY}\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: bad, namespace: x}\nspec:\n${spec
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n')}\n---\nkind: Namespace\nmetadata: {name: z}\n`;
      const r = parseManifests(text, 'p.yaml');
      expect(r.objects.map((o) => `${o.kind}/${o.name}`)).toEqual(['NetworkPolicy/ok', 'Namespace/z']);
      expect(r.problems).toHaveLength(1);
      expect(r.problems[0]).toMatchObject({ source: 'p.yaml', index: 1, kind: 'NetworkPolicy', name: 'bad' });
      expect(r.problems[0]?.reason).toMatch(reason);
    });
  }

  it('reports broken YAML, unknown kinds and documents without a name', () => {
    const r = parseManifests(`kind: Gadget\nmetadata: {name: g}\n---\nkind: Pod\nmetadata: {}\n---\n[unclosed\n---\n${GOOD_POLICY}\n`, 'q.yaml');
    expect(r.objects).toHaveLength(1);
    expect(r.problems.map((p) => p.index)).toEqual([0, 1, 2]);
  });
});

// fast-check arbitraries over the e2e model (e2e-model.ts): random NetworkPolicies built from the
// selectors, ipBlocks and ports the upstream suite uses, as YAML the CLI would read.

import fc from 'fast-check';

const podSelectors = ['{}', '{matchLabels: {pod: a}}', '{matchLabels: {pod: b}}', '{matchExpressions: [{key: pod, operator: NotIn, values: [c]}]}', '{matchExpressions: [{key: pod, operator: In, values: [a, c]}]}'];
const nsSelectors = ['{}', '{matchLabels: {ns: y}}', '{matchExpressions: [{key: ns, operator: NotIn, values: [x]}]}', '{matchExpressions: [{key: ns, operator: Exists}]}'];
const blocks = ['{cidr: 10.244.0.0/16, except: [10.244.2.0/24]}', '{cidr: 10.244.1.0/24}', '{cidr: 0.0.0.0/0, except: [10.244.3.2/32, 10.244.1.0/25]}', '{cidr: 10.244.2.2/32}'];
const ports = ['{port: 80}', '{port: 81, protocol: UDP}', '{port: serve-81-tcp}', '{port: serve-80-udp, protocol: UDP}', '{protocol: UDP}', '{port: 79, endPort: 80}', '{port: 80, protocol: SCTP}'];

const peer = fc.oneof(
  fc.constantFrom(...podSelectors).map((s) => `{podSelector: ${s}}`),
  fc.constantFrom(...nsSelectors).map((s) => `{namespaceSelector: ${s}}`),
  fc.tuple(fc.constantFrom(...nsSelectors), fc.constantFrom(...podSelectors)).map(([n, p]) => `{namespaceSelector: ${n}, podSelector: ${p}}`),
  fc.constantFrom(...blocks).map((b) => `{ipBlock: ${b}}`),
);
const rule = (key: 'from' | 'to') =>
  fc.record({ peers: fc.option(fc.array(peer, { maxLength: 2 })), ports: fc.option(fc.array(fc.constantFrom(...ports), { maxLength: 2 })) }).map((r) => {
    const parts = [];
    if (r.peers !== null) parts.push(`${key}: [${r.peers.join(', ')}]`);
    if (r.ports !== null) parts.push(`ports: [${r.ports.join(', ')}]`);
    return `{${parts.join(', ')}}`;
  });
export const policy = fc
  .record({
    ns: fc.constantFrom('x', 'y', 'z'),
    sel: fc.constantFrom(...podSelectors),
    types: fc.constantFrom('', 'policyTypes: [Ingress]', 'policyTypes: [Egress]', 'policyTypes: [Ingress, Egress]'),
    ingress: fc.option(fc.array(rule('from'), { maxLength: 2 })),
    egress: fc.option(fc.array(rule('to'), { maxLength: 2 })),
  })
  ;


export type PolicyShape = typeof policy extends fc.Arbitrary<infer T> ? T : never;

/** Policies as manifests, named p0, p1, ... (or by `names`). */
export function policiesYaml(policies: readonly PolicyShape[], names?: readonly string[]): string {
  return policies
    .map(
      (p, i) =>
        `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {namespace: ${p.ns}, name: ${names?.[i] ?? `p${i}`}}\nspec:\n  podSelector: ${p.sel}\n` +
        (p.types !== '' ? `  ${p.types}\n` : '') +
        (p.ingress !== null ? `  ingress: [${p.ingress.join(', ')}]\n` : '') +
        (p.egress !== null ? `  egress: [${p.egress.join(', ')}]\n` : ''),
    )
    .join('---\n');
}

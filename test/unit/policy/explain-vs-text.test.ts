// Property: for random policies over the e2e model and random flows, `explain` (tracing the IR)
// agrees with an independent tracer over the rendered restore text of each node involved.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Protocol } from '../../../src/k8s/objects.js';
import { compile, familiesInUse } from '../../../src/policy/compile.js';
import { Explainer } from '../../../src/policy/explain.js';
import { modelFromObjects } from '../../../src/policy/model.js';
import { renderRestore } from '../../../src/policy/render.js';
import { parseManifests } from '../../../src/k8s/manifests.js';
import { ALL, e2eObjects, nodeOf } from './e2e-model.js';
import { TextTracer } from './text-tracer.js';

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
const policy = fc
  .record({
    ns: fc.constantFrom('x', 'y', 'z'),
    sel: fc.constantFrom(...podSelectors),
    types: fc.constantFrom('', 'policyTypes: [Ingress]', 'policyTypes: [Egress]', 'policyTypes: [Ingress, Egress]'),
    ingress: fc.option(fc.array(rule('from'), { maxLength: 2 })),
    egress: fc.option(fc.array(rule('to'), { maxLength: 2 })),
  })
  ;

const flow = fc.record({
  from: fc.constantFrom(...ALL),
  to: fc.constantFrom(...ALL),
  port: fc.constantFrom(79, 80, 81, 82),
  protocol: fc.constantFrom<Protocol>('TCP', 'UDP', 'SCTP'),
});

describe('explain agrees with a tracer over the rendered iptables text', () => {
  it('for random policies and flows', () => {
    fc.assert(
      fc.property(fc.array(policy, { maxLength: 4 }), fc.array(flow, { minLength: 1, maxLength: 12 }), (policies, flows) => {
        const yaml = policies
          .map(
            (p, i) =>
              `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {namespace: ${p.ns}, name: p${i}}\nspec:\n  podSelector: ${p.sel}\n` +
              (p.types !== '' ? `  ${p.types}\n` : '') +
              (p.ingress !== null ? `  ingress: [${p.ingress.join(', ')}]\n` : '') +
              (p.egress !== null ? `  egress: [${p.egress.join(', ')}]\n` : ''),
          )
          .join('---\n');
        const parsed = parseManifests(yaml, 'gen');
        expect(parsed.problems).toEqual([]);
        const model = modelFromObjects([...e2eObjects(), ...parsed.objects]);
        const ex = new Explainer(model);
        const tracers = new Map(['node-1', 'node-2'].map((n) => [n, new TextTracer(renderRestore(compile(model, { node: n }), familiesInUse(model)))]));
        for (const f of flows) {
          if (f.from === f.to) continue;
          const e = ex.explain(f.from, f.to, f.port, f.protocol);
          const [fns = '', fname = ''] = f.from.split('/');
          const [tns = '', tname = ''] = f.to.split('/');
          const fi = ex.node(nodeOf(fns, fname)).compiled.endpoints.find((x) => x.pod === f.from)?.iface ?? '';
          const ti = ex.node(nodeOf(tns, tname)).compiled.endpoints.find((x) => x.pod === f.to)?.iface ?? '';
          const pkt = { src: e.from.ip, dst: e.to.ip, proto: f.protocol.toLowerCase(), dport: f.port };
          let allowed: boolean;
          if (nodeOf(fns, fname) === nodeOf(tns, tname)) {
            allowed = tracers.get(nodeOf(fns, fname))?.trace({ ...pkt, inIface: fi, outIface: ti }) !== 'drop';
          } else {
            const out = tracers.get(nodeOf(fns, fname))?.trace({ ...pkt, inIface: fi, outIface: 'eth0' });
            const inn = tracers.get(nodeOf(tns, tname))?.trace({ ...pkt, inIface: 'eth0', outIface: ti });
            allowed = out !== 'drop' && inn !== 'drop';
          }
          expect(e.allowed, `${f.from} -> ${f.to} ${f.port}/${f.protocol}\n${yaml}`).toBe(allowed);
        }
      }),
      { numRuns: 150, seed: 20261122 },
    );
  });
});

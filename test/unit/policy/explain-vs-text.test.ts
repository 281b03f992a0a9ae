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
import { policiesYaml, policy } from './arbitraries.js';

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
        const yaml = policiesYaml(policies);
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

// Truth tables of the upstream NetworkPolicy e2e cases (test/e2e/network/netpol/network_policy.go)
// on the same model: x,y,z x a,b,c, ports 80/81, TCP/UDP. The prediction comes from `policy
// matrix`, i.e. from tracing packets through the compiled IR, so each table checks the compiler.

import { describe, expect, it } from 'vitest';
import type { Protocol } from '../../../src/k8s/objects.js';
import { predictMatrix } from '../../../src/policy/matrix.js';
import { CASES } from './e2e-cases.js';
import { diffTable, modelWith, Reachability } from './e2e-model.js';

describe('upstream e2e truth tables, predicted from the compiled IR', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const model = modelWith(c.policies, { podOverrides: c.podOverrides, nsLabels: c.nsLabels, dualStack: c.family === 6 });
      for (const [key, build] of Object.entries(c.expect)) {
        const [protocol = 'TCP', portText = '80'] = key.split('/');
        const port = Number(portText);
        const m = predictMatrix(model, { ports: [port], protocols: [protocol as Protocol], family: c.family ?? 4 });
        const expected = build(new Reachability()).results(port, protocol as Protocol);
        expect(diffTable(expected, m.results), `${c.name} ${key}`).toEqual([]);
        expect(m.results).toHaveLength(72);
      }
    });
  }
});

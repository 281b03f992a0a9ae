// The NetworkPolicy conformance suite against a real kernel, in the style of upstream's
// test/e2e/network/netpol: namespaces x, y, z with pods a, b, c (dual-stack) each serving TCP and
// UDP on 80 and 81, spread over two node namespaces (e2e-model.ts nodeOf: 5 on node-1, 4 on
// node-2), so every table has same-node and cross-node pairs. For every upstream case
// (e2e-cases.ts) the policies are compiled and applied per node by the real writer, then all 288
// IPv4 and 288 IPv6 cells (9x8 pairs x TCP/UDP x 80/81) are probed with real connections and
// compared with (1) `policy matrix`'s prediction for that family and (2) the case's expected truth
// table (IPv4, and IPv6 where the case has no IPv4 ipBlock). SCTP: this kernel has no SCTP sockets
// (CONFIG_IP_SCTP off), so SCTP is covered by the compile/evaluate tests only.

import { describe, expect, it } from 'vitest';
import { parseManifests } from '../../src/k8s/manifests.js';
import type { KubeObject } from '../../src/k8s/objects.js';
import { CASES, type Case } from '../unit/policy/e2e-cases.js';
import { e2eObjects } from '../unit/policy/e2e-model.js';
import { applyAndProbe, newTally } from './policy-check.js';
import { useE2eCluster } from './policy-cluster.js';

const e2e = useE2eCluster();
const tally = newTally();

function objectsOf(c: Pick<Case, 'policies' | 'podOverrides' | 'nsLabels'>): KubeObject[] {
  const parsed = parseManifests(c.policies, 'case.yaml');
  expect(parsed.problems).toEqual([]);
  return [...e2eObjects({ dualStack: true, podOverrides: c.podOverrides, nsLabels: c.nsLabels }), ...parsed.objects];
}

describe('NetworkPolicy conformance: real probes on two nodes, IPv4 and IPv6', () => {
  it('no policy: everything reachable', async () => {
    const { v4, v6 } = await applyAndProbe(e2e.cluster, objectsOf({ policies: '' }), { tally });
    expect(v4.every((r) => r.allowed) && v6.every((r) => r.allowed)).toBe(true);
  });

  for (const c of CASES) {
    it(c.name, async () => {
      // A case's ipBlocks match nothing in the other family, so its tables hold for its own
      // family only (the other family's probes are still checked against its prediction).
      const families: (4 | 6)[] = c.policies.includes('ipBlock') ? [c.family ?? 4] : [4, 6];
      await applyAndProbe(e2e.cluster, objectsOf(c), { expected: c.expect, expectedFamilies: families, tally });
    });
  }

  it('probed denials and allows on the same node and across nodes, in both families', () => {
    expect(tally.sameNodeDenied).toBeGreaterThan(100);
    expect(tally.crossNodeDenied).toBeGreaterThan(100);
    expect(tally.sameNodeAllowed).toBeGreaterThan(100);
    expect(tally.crossNodeAllowed).toBeGreaterThan(100);
    expect(tally.v6Denied).toBeGreaterThan(100);
  });
});

// The NetworkPolicy conformance suite against a real kernel, in the style of upstream's
// test/e2e/network/netpol: namespaces x, y, z with pods a, b, c (dual-stack) each serving TCP and
// UDP on 80 and 81, spread over two node namespaces (e2e-model.ts nodeOf: 5 on node-1, 4 on
// node-2), so every table has same-node and cross-node pairs. For every upstream case
// (e2e-cases.ts) the policies are compiled and applied per node by the real writer, then all 288
// IPv4 and 288 IPv6 cells (9x8 pairs x TCP/UDP x 80/81) are probed with real connections and
// compared with (1) `policy matrix`'s prediction for that family and (2) the case's expected truth
// table (IPv4, and IPv6 where the case has no IPv4 ipBlock). SCTP: this kernel has no SCTP sockets
// (CONFIG_IP_SCTP off), so SCTP is covered by the compile/evaluate tests only.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseManifests } from '../../src/k8s/manifests.js';
import type { KubeObject, Pod, Protocol } from '../../src/k8s/objects.js';
import { predictMatrix, type MatrixResult } from '../../src/policy/matrix.js';
import { modelFromObjects } from '../../src/policy/model.js';
import { World } from '../harness/netns.js';
import { rootSnapshot, type RootSnapshot } from '../harness/root-snapshot.js';
import { CASES, type Case } from '../unit/policy/e2e-cases.js';
import { diffTable, e2eObjects, Reachability } from '../unit/policy/e2e-model.js';
import { PolicyCluster } from './policy-cluster.js';

let world: World;
let cluster: PolicyCluster;
let before: RootSnapshot;
const tally = { sameNodeDenied: 0, crossNodeDenied: 0, sameNodeAllowed: 0, crossNodeAllowed: 0, v6Denied: 0 };

beforeAll(async () => {
  before = rootSnapshot();
  world = new World();
  const pods = e2eObjects({ dualStack: true }).filter((o): o is Pod => o.kind === 'Pod');
  cluster = await PolicyCluster.start(world, {
    nodes: ['node-1', 'node-2'],
    pods: pods.map((p) => ({ ns: p.namespace, name: p.name, node: p.nodeName ?? '', ips: p.podIPs })),
  });
}, 120_000);

afterAll(async () => {
  cluster?.close();
  await world?.cleanup();
  expect(rootSnapshot()).toEqual(before);
});

function objectsOf(c: Pick<Case, 'policies' | 'podOverrides' | 'nsLabels'>): KubeObject[] {
  const parsed = parseManifests(c.policies, 'case.yaml');
  expect(parsed.problems).toEqual([]);
  return [...e2eObjects({ dualStack: true, podOverrides: c.podOverrides, nsLabels: c.nsLabels }), ...parsed.objects];
}

/**
 * Probe every predicted cell; cells that timed out where an allow was predicted are probed once
 * more with a long timeout, so a loaded machine cannot fake a denial (a real wrong denial fails
 * both times, and a wrong allow is never retried away).
 */
async function observe(predicted: readonly MatrixResult[], family: 4 | 6): Promise<MatrixResult[]> {
  const first = await cluster.observe(predicted.map((r) => ({ ...r, protocol: r.protocol as 'TCP' | 'UDP' })), family);
  return Promise.all(
    first.map(async (o, i) => {
      if (o.allowed || predicted[i]?.allowed !== true) return o;
      return { ...o, allowed: (await cluster.probe(o, family, 3000)).ok };
    }),
  );
}

function mismatches(predicted: readonly MatrixResult[], observed: readonly MatrixResult[]): string[] {
  return predicted.flatMap((p, i) => {
    const o = observed[i];
    return o?.allowed === p.allowed ? [] : [`${p.protocol}/${p.port} ${p.from} -> ${p.to}: predicted ${p.allowed ? 'allowed' : 'denied'}, observed ${o?.allowed === true ? 'allowed' : 'denied'}`];
  });
}

export interface Checked {
  readonly v4: MatrixResult[];
  readonly v6: MatrixResult[];
}

/** Apply, probe both families, compare with the prediction and (if given) the expected tables. */
async function applyAndProbe(objects: readonly KubeObject[], expected?: Case['expect'], expectedV6 = true): Promise<Checked> {
  await cluster.apply(objects);
  const model = modelFromObjects(objects);
  const opts = { ports: [80, 81], protocols: ['TCP', 'UDP'] as Protocol[] };
  const p4 = predictMatrix(model, { ...opts, family: 4 }).results;
  const p6 = predictMatrix(model, { ...opts, family: 6 }).results;
  const [v4, v6] = await Promise.all([observe(p4, 4), observe(p6, 6)]);
  expect(mismatches(p4, v4), 'IPv4: policy matrix vs probes').toEqual([]);
  expect(mismatches(p6, v6), 'IPv6: policy matrix vs probes').toEqual([]);
  for (const [key, build] of Object.entries(expected ?? {})) {
    const [protocol = '', port = 0] = [key.split('/')[0], Number(key.split('/')[1])];
    if ((protocol !== 'TCP' && protocol !== 'UDP') || (port !== 80 && port !== 81)) continue; // only 80/81 are served
    const want = build(new Reachability()).results(port, protocol);
    const cell = (r: MatrixResult): boolean => r.protocol === protocol && r.port === port;
    expect(diffTable(want, v4.filter(cell)), `IPv4 truth table ${key}`).toEqual([]);
    if (expectedV6) expect(diffTable(want, v6.filter(cell)), `IPv6 truth table ${key}`).toEqual([]);
  }
  for (const r of v4) {
    const same = cluster.sameNode(r.from, r.to);
    if (r.allowed) tally[same ? 'sameNodeAllowed' : 'crossNodeAllowed']++;
    else tally[same ? 'sameNodeDenied' : 'crossNodeDenied']++;
  }
  tally.v6Denied += v6.filter((r) => !r.allowed).length;
  return { v4, v6 };
}

describe('NetworkPolicy conformance: real probes on two nodes, IPv4 and IPv6', () => {
  it('no policy: everything reachable', async () => {
    const { v4, v6 } = await applyAndProbe(objectsOf({ policies: '' }));
    expect(v4.every((r) => r.allowed) && v6.every((r) => r.allowed)).toBe(true);
  });

  for (const c of CASES) {
    it(c.name, async () => {
      // IPv4 ipBlocks match nothing in IPv6, so those cases' tables are IPv4-only (the IPv6
      // probes are still checked against the IPv6 prediction).
      await applyAndProbe(objectsOf(c), c.expect, !c.policies.includes('ipBlock'));
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

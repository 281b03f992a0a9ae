// Apply a set of objects to a PolicyCluster and check real probes of every pod pair (TCP/UDP on
// 80/81, IPv4 and IPv6) against `policy matrix`'s prediction and, when given, a case's expected
// truth tables. Shared by the conformance and update-sequence suites.

import { expect } from 'vitest';
import type { KubeObject, Protocol } from '../../src/k8s/objects.js';
import { predictMatrix, type MatrixResult } from '../../src/policy/matrix.js';
import { modelFromObjects } from '../../src/policy/model.js';
import type { PolicyPlan } from '../../src/policy/plan.js';
import type { Case } from '../unit/policy/e2e-cases.js';
import { diffTable, Reachability } from '../unit/policy/e2e-model.js';
import type { PolicyCluster } from './policy-cluster.js';

/** How many IPv4 cells were allowed/denied on one node and across nodes (proof of coverage). */
export interface Tally {
  sameNodeDenied: number;
  crossNodeDenied: number;
  sameNodeAllowed: number;
  crossNodeAllowed: number;
  v6Denied: number;
}

export function newTally(): Tally {
  return { sameNodeDenied: 0, crossNodeDenied: 0, sameNodeAllowed: 0, crossNodeAllowed: 0, v6Denied: 0 };
}

export interface CheckOptions {
  /** Expected truth tables per "PROTO/port" (only TCP/UDP on 80/81 can be probed). */
  readonly expected?: Case['expect'];
  /** The families whose probes the expected tables hold (a case's ipBlocks are of one family). Default both. */
  readonly expectedFamilies?: readonly (4 | 6)[];
  readonly tally?: Tally;
}

/**
 * Probe every predicted cell; cells that timed out where an allow was predicted are probed once
 * more with a long timeout, so a loaded machine cannot fake a denial (a real wrong denial fails
 * both times, and a wrong allow is never retried away).
 */
async function observe(cluster: PolicyCluster, predicted: readonly MatrixResult[], family: 4 | 6): Promise<MatrixResult[]> {
  const first = await cluster.observe(predicted.map((r) => ({ ...r, protocol: r.protocol as 'TCP' | 'UDP' })), family);
  return Promise.all(
    first.map(async (o, i) => {
      if (o.allowed || predicted[i]?.allowed !== true) return o;
      return { ...o, allowed: (await cluster.probe(o, family, 3000)).ok };
    }),
  );
}

export function mismatches(predicted: readonly MatrixResult[], observed: readonly MatrixResult[]): string[] {
  return predicted.flatMap((p, i) => {
    const o = observed[i];
    return o?.allowed === p.allowed ? [] : [`${p.protocol}/${p.port} ${p.from} -> ${p.to}: predicted ${p.allowed ? 'allowed' : 'denied'}, observed ${o?.allowed === true ? 'allowed' : 'denied'}`];
  });
}

export interface Checked {
  readonly v4: MatrixResult[];
  readonly v6: MatrixResult[];
  /** What the writer did on each node. */
  readonly plans: Map<string, PolicyPlan>;
}

/** Apply, probe both families, compare with the prediction and (if given) the expected tables. */
export async function applyAndProbe(cluster: PolicyCluster, objects: readonly KubeObject[], opts: CheckOptions = {}): Promise<Checked> {
  const { expected, expectedFamilies = [4, 6], tally } = opts;
  const plans = await cluster.apply(objects);
  const model = modelFromObjects(objects);
  const cells = { ports: [80, 81], protocols: ['TCP', 'UDP'] as Protocol[] };
  const p4 = predictMatrix(model, { ...cells, family: 4 }).results;
  const p6 = predictMatrix(model, { ...cells, family: 6 }).results;
  const [v4, v6] = await Promise.all([observe(cluster, p4, 4), observe(cluster, p6, 6)]);
  expect(mismatches(p4, v4), 'IPv4: policy matrix vs probes').toEqual([]);
  expect(mismatches(p6, v6), 'IPv6: policy matrix vs probes').toEqual([]);
  for (const [key, build] of Object.entries(expected ?? {})) {
    const [protocol = '', port = 0] = [key.split('/')[0], Number(key.split('/')[1])];
    if ((protocol !== 'TCP' && protocol !== 'UDP') || (port !== 80 && port !== 81)) continue; // only 80/81 are served
    const want = build(new Reachability()).results(port, protocol);
    const cell = (r: MatrixResult): boolean => r.protocol === protocol && r.port === port;
    if (expectedFamilies.includes(4)) expect(diffTable(want, v4.filter(cell)), `IPv4 truth table ${key}`).toEqual([]);
    if (expectedFamilies.includes(6)) expect(diffTable(want, v6.filter(cell)), `IPv6 truth table ${key}`).toEqual([]);
  }
  if (tally !== undefined) {
    for (const r of v4) {
      const same = cluster.sameNode(r.from, r.to);
      if (r.allowed) tally[same ? 'sameNodeAllowed' : 'crossNodeAllowed']++;
      else tally[same ? 'sameNodeDenied' : 'crossNodeDenied']++;
    }
    tally.v6Denied += v6.filter((r) => !r.allowed).length;
  }
  return { v4, v6, plans };
}

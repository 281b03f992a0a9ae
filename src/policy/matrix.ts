// Predicted reachability of every ordered pair of distinct pods, per port and protocol, in the
// matrix format of DESIGN.md (the shape `lab matrix --json` prints from real probes), plus the
// truth-table text the upstream e2e tests print ("." reachable, "X" not).

import type { Protocol } from '../k8s/objects.js';
import type { Family } from '../net/ip.js';
import { Explainer, type ExplainOptions } from './explain.js';
import { podKey, type PolicyModel } from './model.js';

export interface MatrixResult {
  readonly from: string;
  readonly to: string;
  readonly port: number;
  readonly protocol: Protocol;
  readonly allowed: boolean;
}

export interface Matrix {
  readonly pods: string[];
  readonly results: MatrixResult[];
}

export interface MatrixOptions extends ExplainOptions {
  readonly ports: readonly number[];
  readonly protocols: readonly Protocol[];
  /** Address family to predict for (dual-stack pods); default: the first family both pods have. */
  readonly family?: Family;
}

/** Pods that can take part: they have an address and (unless host-network) a node. */
export function matrixPods(model: PolicyModel): string[] {
  return model.pods
    .filter((p) => p.podIPs.length > 0 && (p.hostNetwork || p.nodeName !== undefined) && p.phase !== 'Succeeded' && p.phase !== 'Failed')
    .map(podKey)
    .sort();
}

export function predictMatrix(model: PolicyModel, opts: MatrixOptions): Matrix {
  const ex = new Explainer(model, opts);
  const pods = matrixPods(model);
  const results: MatrixResult[] = [];
  for (const protocol of opts.protocols) {
    for (const port of opts.ports) {
      for (const from of pods) {
        for (const to of pods) {
          if (from === to) continue;
          results.push({ from, to, port, protocol, allowed: ex.explain(from, to, port, protocol, opts.family).allowed });
        }
      }
    }
  }
  return { pods, results };
}

/**
 * One truth table per port/protocol: rows are senders, columns receivers. `paint` may restyle a
 * cell (`lab matrix` colours it, or marks a difference from the prediction); it gets the padded
 * glyph, so what it returns keeps the column width.
 */
export function renderMatrixTable(m: Matrix, paint: (padded: string, cell: MatrixResult) => string = (padded) => padded): string {
  const groups = new Map<string, Map<string, MatrixResult>>();
  for (const r of m.results) {
    const g = `${r.protocol}/${r.port}`;
    let cells = groups.get(g);
    if (cells === undefined) groups.set(g, (cells = new Map()));
    cells.set(`${r.from}>${r.to}`, r);
  }
  const width = Math.max(3, ...m.pods.map((p) => p.length));
  const pad = (s: string): string => s.padEnd(width);
  const out: string[] = [];
  for (const [g, cells] of groups) {
    out.push(`${pad(g)} ${m.pods.map(pad).join(' ')}`.trimEnd());
    for (const from of m.pods) {
      const row = m.pods.map((to) => {
        const c = cells.get(`${from}>${to}`);
        if (from === to || c === undefined) return pad('-');
        return paint(pad(c.allowed ? '.' : 'X'), c);
      });
      out.push(`${pad(from)} ${row.join(' ')}`.trimEnd());
    }
    out.push('');
  }
  return out.join('\n');
}

// The upstream NetworkPolicy e2e model (test/e2e/network/netpol in kubernetes/kubernetes):
// namespaces x, y, z; pods a, b, c in each, serving TCP and UDP on 80 and 81 with named ports
// serve-80-tcp etc.; plus a Reachability helper shaped like upstream's truth tables. Pods are
// spread over two nodes so every table covers same-node and cross-node flows.

import { parseManifests } from '../../../src/k8s/manifests.js';
import type { KubeObject, Pod, Protocol } from '../../../src/k8s/objects.js';
import { modelFromObjects, type PolicyModel } from '../../../src/policy/model.js';

export const NAMESPACES = ['x', 'y', 'z'] as const;
export const PODS = ['a', 'b', 'c'] as const;
export const ALL = NAMESPACES.flatMap((ns) => PODS.map((p) => `${ns}/${p}`));

export function podIp(ns: string, pod: string, family: 4 | 6 = 4): string {
  const n = NAMESPACES.indexOf(ns as (typeof NAMESPACES)[number]) + 1;
  const p = PODS.indexOf(pod as (typeof PODS)[number]) + 1;
  return family === 4 ? `10.244.${n}.${p}` : `fd00:10:244:${n}::${p}`;
}

export function nodeOf(ns: string, pod: string): string {
  return (NAMESPACES.indexOf(ns as (typeof NAMESPACES)[number]) + PODS.indexOf(pod as (typeof PODS)[number])) % 2 === 0 ? 'node-1' : 'node-2';
}

export interface PodOverride {
  readonly labels?: Record<string, string>;
  readonly ports?: Pod['ports'];
}

export function e2eObjects(opts: { dualStack?: boolean; podOverrides?: Record<string, PodOverride>; nsLabels?: Record<string, Record<string, string>> } = {}): KubeObject[] {
  const objs: KubeObject[] = [];
  for (const ns of NAMESPACES) {
    const extra = opts.nsLabels?.[ns] ?? {};
    objs.push({ kind: 'Namespace', name: ns, labels: { ns, 'kubernetes.io/metadata.name': ns, ...extra } });
    for (const p of PODS) {
      const o = opts.podOverrides?.[`${ns}/${p}`];
      const ports: Pod['ports'] =
        o?.ports ??
        [80, 81].flatMap((port) =>
          (['TCP', 'UDP'] as const).map((proto) => ({ name: `serve-${port}-${proto.toLowerCase()}`, containerPort: port, protocol: proto })),
        );
      objs.push({
        kind: 'Pod',
        namespace: ns,
        name: p,
        labels: o?.labels ?? { pod: p },
        nodeName: nodeOf(ns, p),
        hostNetwork: false,
        podIPs: opts.dualStack === true ? [podIp(ns, p, 4), podIp(ns, p, 6)] : [podIp(ns, p, 4)],
        ports,
        phase: 'Running',
      });
    }
  }
  return objs;
}

/** The e2e model plus policies given as YAML manifests (parsed as the CLI would). */
export function modelWith(yaml: string, opts: Parameters<typeof e2eObjects>[0] = {}): PolicyModel {
  const parsed = parseManifests(yaml, 'test.yaml');
  if (parsed.problems.length > 0) throw new Error(`bad test policy: ${JSON.stringify(parsed.problems)}`);
  return modelFromObjects([...e2eObjects(opts), ...parsed.objects]);
}

interface PeerFilter {
  readonly ns?: string;
  readonly pod?: string;
}

function hits(f: PeerFilter, key: string): boolean {
  const [ns, pod] = key.split('/');
  return (f.ns === undefined || f.ns === ns) && (f.pod === undefined || f.pod === pod);
}

/** Upstream's Reachability: every pair starts at a default; Expect* override. */
export class Reachability {
  private readonly cells = new Map<string, boolean>();

  constructor(defaultAllowed = true, readonly pods: readonly string[] = ALL) {
    for (const f of pods) for (const t of pods) if (f !== t) this.cells.set(`${f}>${t}`, defaultAllowed);
  }

  expect(from: string, to: string, allowed: boolean): this {
    if (from !== to) this.cells.set(`${from}>${to}`, allowed);
    return this;
  }

  expectPeer(from: PeerFilter, to: PeerFilter, allowed: boolean): this {
    for (const f of this.pods) for (const t of this.pods) if (f !== t && hits(from, f) && hits(to, t)) this.cells.set(`${f}>${t}`, allowed);
    return this;
  }

  expectAllIngress(to: string, allowed: boolean): this {
    return this.expectPeer({}, { ns: to.split('/')[0], pod: to.split('/')[1] }, allowed);
  }

  expectAllEgress(from: string, allowed: boolean): this {
    return this.expectPeer({ ns: from.split('/')[0], pod: from.split('/')[1] }, {}, allowed);
  }

  /** Results in matrix shape for one port/protocol. */
  results(port: number, protocol: Protocol): { from: string; to: string; port: number; protocol: Protocol; allowed: boolean }[] {
    return [...this.cells].map(([k, allowed]) => {
      const [from = '', to = ''] = k.split('>');
      return { from, to, port, protocol, allowed };
    });
  }
}

/** Truth-table text of the differences, so a failing case reads like upstream's output. */
export function diffTable(expected: readonly { from: string; to: string; allowed: boolean }[], actual: readonly { from: string; to: string; allowed: boolean }[]): string[] {
  const a = new Map(actual.map((r) => [`${r.from}>${r.to}`, r.allowed]));
  return expected.filter((e) => a.get(`${e.from}>${e.to}`) !== e.allowed).map((e) => `${e.from} -> ${e.to}: expected ${e.allowed ? 'allowed' : 'denied'}`);
}

// Looking at a running lab: `lab status` (nodes with their agents' readiness, BGP sessions and
// routes; the router's sessions; the pods) and `lab matrix` (every ordered pod pair probed with
// real TCP connections and UDP exchanges from inside the pods, all at once).

import type { AgentStatus } from '../agent/agent.js';
import { fetchStatus } from '../agent/status-client.js';
import type { Protocol } from '../k8s/objects.js';
import type { Matrix, MatrixResult } from '../policy/matrix.js';
import { predictMatrix, renderMatrixTable } from '../policy/matrix.js';
import { modelFromObjects } from '../policy/model.js';
import { statusSocket, type LabEnv } from './nodes.js';
import { podSocket } from './pods.js';
import { ProbeClient } from './probe-client.js';
import { routerStatus } from './router-hooks.js';
import type { LabState } from './state.js';
import type { Backend } from './backend.js';
import { LabInputError } from './errors.js';

export interface LabStatusDoc {
  readonly name: string;
  readonly dir: string;
  readonly topology: string;
  readonly router: string;
  readonly ipv6: boolean;
  readonly nodes: {
    readonly name: string;
    readonly netns: string;
    readonly ips: string[];
    readonly podCIDRs: string[];
    readonly asn: number;
    readonly ready: boolean;
    readonly why?: string;
    readonly sessions: { peer: string; asn: number; state: string; prefixesIn: number; prefixesOut: number }[];
    readonly routes: { dst: string; type: string; via: string[] }[];
    readonly policy: { syncs: number; failures: number; endpoints?: number } | undefined;
  }[];
  readonly routerStatus?: { kind: string; netns: string; sessions: { peer: string; state: string }[] };
  readonly pods: { namespace: string; name: string; node: string; ips: string[] }[];
  readonly kubeconfig?: string;
}

export async function labStatus(env: LabEnv, s: LabState): Promise<LabStatusDoc> {
  const nodes = await Promise.all(
    s.nodes.map(async (n) => {
      const st = (await fetchStatus(statusSocket(env.dir, n.plan.name)).catch(() => undefined)) as AgentStatus | undefined;
      return {
        name: n.plan.name,
        netns: n.netns,
        ips: [n.plan.ip4, ...(n.plan.ip6 !== undefined ? [n.plan.ip6] : [])],
        podCIDRs: [...n.plan.podCidrs],
        asn: n.plan.asn,
        ready: st?.readiness.ready ?? false,
        ...(st === undefined ? { why: 'agent not answering' } : st.readiness.ready ? {} : { why: st.readiness.why ?? '' }),
        sessions: (st?.bgp?.peers ?? []).map((p) => ({ peer: p.address, asn: p.asn, state: p.state, prefixesIn: p.prefixesIn, prefixesOut: p.prefixesOut })),
        routes: (st?.bgp?.routes ?? []).map((r) => ({ dst: r.dst, type: r.type, via: r.nexthops.map((h) => h.gateway ?? h.dev ?? '') })),
        policy: st !== undefined ? { syncs: st.policy.syncs, failures: st.policy.failures, ...(st.policy.endpoints !== undefined ? { endpoints: st.policy.endpoints } : {}) } : undefined,
      };
    }),
  );
  const router = s.routerDaemon !== undefined ? { kind: s.routerDaemon.kind, netns: s.routerDaemon.netns, sessions: await routerStatus(s.routerDaemon).catch(() => []) } : undefined;
  return {
    name: s.name,
    dir: env.dir,
    topology: s.topology,
    router: s.router,
    ipv6: s.ipv6,
    nodes,
    ...(router !== undefined ? { routerStatus: router } : {}),
    pods: s.pods.map((p) => ({ namespace: p.namespace, name: p.name, node: p.node, ips: [...p.ips] })).sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`)),
    ...(s.apiserver !== undefined ? { kubeconfig: s.apiserver.adminKubeconfig } : {}),
  };
}

export function renderLabStatus(d: LabStatusDoc): string {
  const out: string[] = [`lab ${d.name}: ${d.nodes.length} nodes, ${d.topology} topology${d.topology !== 'mesh' ? ` (${d.router})` : ''}${d.ipv6 ? ', dual-stack' : ''}; state in ${d.dir}`];
  for (const n of d.nodes) {
    out.push('', `${n.name}  ${n.ips.join(' ')}  AS ${n.asn}  pods ${n.podCIDRs.join(' ')}  ${n.ready ? 'ready' : `NOT READY: ${n.why ?? ''}`}  (netns ${n.netns})`);
    for (const p of n.sessions) out.push(`  bgp  ${p.peer.padEnd(24)} AS ${String(p.asn).padEnd(6)} ${p.state.padEnd(12)} in ${p.prefixesIn} out ${p.prefixesOut}`);
    for (const r of n.routes) out.push(`  route ${r.dst} ${r.via.length > 0 ? `via ${r.via.join(', ')}` : r.type}`);
    if (n.policy !== undefined) out.push(`  policy: ${n.policy.syncs} syncs, ${n.policy.failures} failures${n.policy.endpoints !== undefined ? `, ${n.policy.endpoints} local endpoints` : ''}`);
  }
  if (d.routerStatus !== undefined) {
    out.push('', `router ${d.routerStatus.kind} (netns ${d.routerStatus.netns})`);
    for (const p of d.routerStatus.sessions) out.push(`  bgp  ${p.peer.padEnd(24)} ${p.state}`);
  }
  out.push('', 'pods');
  for (const p of d.pods) out.push(`  ${`${p.namespace}/${p.name}`.padEnd(16)} ${p.node.padEnd(10)} ${p.ips.join(' ')}`);
  if (d.kubeconfig !== undefined) out.push('', `kubeconfig: ${d.kubeconfig}  (kubectl --kubeconfig ${d.kubeconfig} get pods -A)`);
  return out.join('\n') + '\n';
}

export interface ProbeOptions {
  readonly ports: readonly number[];
  readonly protocols: readonly Protocol[];
  readonly family: 4 | 6;
  readonly timeoutMs?: number;
}

export interface ObservedMatrix extends Matrix {
  readonly ms: number;
}

export const cellKey = (r: Pick<MatrixResult, 'from' | 'to' | 'port' | 'protocol'>): string => `${r.protocol}/${r.port} ${r.from}>${r.to}`;

export async function labMatrix(env: LabEnv, s: LabState, o: ProbeOptions): Promise<ObservedMatrix> {
  const unprobed = o.protocols.filter((p) => p !== 'TCP' && p !== 'UDP');
  if (unprobed.length > 0) throw new LabInputError(`--protocols ${unprobed.join(',')}: the pods probe TCP and UDP only`);
  const t0 = Date.now();
  const pods = [...s.pods].filter((p) => p.server !== undefined && p.ips.length > 0).sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  const key = (p: { namespace: string; name: string }): string => `${p.namespace}/${p.name}`;
  const clients = new Map(await Promise.all(pods.map(async (p) => [key(p), await ProbeClient.connect(podSocket(env.dir, p))] as const)));
  try {
    const cells: MatrixResult[] = [];
    const jobs: Promise<void>[] = [];
    for (const protocol of o.protocols) {
      for (const port of o.ports) {
        for (const from of pods) {
          for (const to of pods) {
            if (from === to) continue;
            const host = to.ips.find((ip) => ip.includes(':') === (o.family === 6));
            if (host === undefined) throw new LabInputError(`${key(to)} has no IPv${o.family} address${o.family === 6 ? ' (is the lab dual-stack? `lab up --ipv6`)' : ''}`);
            const cell = { from: key(from), to: key(to), port, protocol, allowed: false };
            cells.push(cell);
            const proto = protocol as 'TCP' | 'UDP';
            jobs.push(
              (clients.get(key(from)) as ProbeClient).probe({ host, port, proto, ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}) }).then((r) => {
                cell.allowed = r.ok;
              }),
            );
          }
        }
      }
    }
    await Promise.all(jobs);
    return { pods: pods.map(key), results: cells, ms: Date.now() - t0 };
  } finally {
    for (const c of clients.values()) c.close();
  }
}

/** What `policy matrix` predicts for the lab's objects (the same IR the agents apply). */
export async function labPrediction(backend: Backend, o: ProbeOptions): Promise<Matrix> {
  return predictMatrix(modelFromObjects(await backend.objects()), { ports: o.ports, protocols: o.protocols, family: o.family });
}

export interface RenderOptions {
  readonly color: boolean;
  /** Mark cells where observation and prediction differ. */
  readonly predicted?: Matrix;
}

/** Truth tables per protocol/port: "." reachable (green), "X" not (red), "!" differs from prediction. */
export function renderLabMatrix(m: Matrix, o: RenderOptions): string {
  if (m.pods.length < 2) return 'fewer than two pods: nothing to probe\n';
  const paint = (code: string, t: string): string => (o.color ? `\u001b[${code}m${t}\u001b[0m` : t);
  const predicted = new Map((o.predicted?.results ?? []).map((r) => [cellKey(r), r.allowed]));
  let differ = 0;
  const table = renderMatrixTable(m, (padded, c) => {
    const want = predicted.get(cellKey(c));
    if (want !== undefined && want !== c.allowed) {
      differ++;
      return paint('33;1', '!'.padEnd(padded.length));
    }
    return paint(c.allowed ? '32' : '31', padded);
  });
  const out = [table.trimEnd(), ''];
  const allowed = m.results.filter((r) => r.allowed).length;
  out.push(`${allowed} of ${m.results.length} allowed`);
  if (o.predicted !== undefined) out.push(differ === 0 ? `matches \`policy matrix\`'s prediction in all ${m.results.length} cells` : `${differ} cells ("!") differ from \`policy matrix\`'s prediction`);
  return out.join('\n') + '\n';
}

/** Cells where observation and prediction differ. */
export function matrixDiff(observed: Matrix, predicted: Matrix): MatrixResult[] {
  const want = new Map(predicted.results.map((r) => [cellKey(r), r.allowed]));
  return observed.results.filter((r) => want.get(cellKey(r)) !== r.allowed);
}

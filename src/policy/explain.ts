// Why a flow between two pods is allowed or denied: the egress side on the sender's node and the
// ingress side on the receiver's node, each traced through that node's compiled IR (evaluate.ts).
// Node placement follows the dataplane: a pod on the same node as the other end is reached
// through its veth on both sides (one FORWARD pass through both chains); a pod elsewhere arrives
// over the uplink. Traffic between a pod and its own node (a host-network pod there) never
// crosses FORWARD: the API says it is always allowed, and so does the kernel with our rules.

import type { Pod, Protocol } from '../k8s/objects.js';
import { MeridianError } from '../errors.js';
import type { Family } from '../net/ip.js';
import { familyOf } from './cidr.js';
import { compile, type CompileOptions } from './compile.js';
import { Evaluator, type Packet, type Trace } from './evaluate.js';
import type { CompiledPolicy, L4Protocol } from './ir.js';
import { isActionable, podKey, type PolicyModel } from './model.js';
import { ALLOW_MARK } from './names.js';

/** Bad query input (unknown pod, no address, no common family): the CLI exits 2. */
export class PolicyQueryError extends MeridianError {
  readonly code = 'POLICY_QUERY';
}

/** Stands for "any interface that is not a pod's" (the node's uplink). */
export const UPLINK = 'uplink0';

export interface PolicyRef {
  readonly namespace: string;
  readonly name: string;
  /** Index of the rule that allowed (in spec.ingress / spec.egress); null for an isolating policy that allowed nothing. */
  readonly rule: number | null;
}

export interface SideResult {
  readonly allowed: boolean;
  /** Some policy selects the pod for this direction (otherwise all is allowed). */
  readonly isolated: boolean;
  /** Allowed: the policies (and first rule of each) that allow it. Denied: the policies that isolate the pod. */
  readonly policies: readonly PolicyRef[];
}

export interface Explanation {
  readonly allowed: boolean;
  readonly family: Family;
  readonly from: { readonly pod: string; readonly ip: string; readonly node: string | undefined };
  readonly to: { readonly pod: string; readonly ip: string; readonly node: string | undefined };
  readonly port: number;
  readonly protocol: Protocol;
  readonly egress: SideResult;
  readonly ingress: SideResult;
}

export type ExplainOptions = Omit<CompileOptions, 'node'>;

const OPEN: SideResult = { allowed: true, isolated: false, policies: [] };

/** Compiles each node once and answers flow queries on the compiled IR. */
export class Explainer {
  private readonly model: PolicyModel;
  private readonly opts: ExplainOptions;
  private readonly pods: Map<string, Pod>;
  private readonly nodes = new Map<string, { compiled: CompiledPolicy; v4: Evaluator; v6: Evaluator }>();

  constructor(model: PolicyModel, opts: ExplainOptions = {}) {
    this.model = model;
    this.opts = opts;
    this.pods = new Map(model.pods.map((p) => [podKey(p), p]));
  }

  node(name: string): { compiled: CompiledPolicy; v4: Evaluator; v6: Evaluator } {
    let n = this.nodes.get(name);
    if (n === undefined) {
      const compiled = compile(this.model, { ...this.opts, node: name });
      n = { compiled, v4: new Evaluator(compiled.v4, compiled.sets), v6: new Evaluator(compiled.v6, compiled.sets) };
      this.nodes.set(name, n);
    }
    return n;
  }

  pod(ref: string): Pod {
    const p = this.pods.get(ref);
    if (p === undefined) throw new PolicyQueryError(`pod ${ref} not found (use NAMESPACE/NAME)`);
    if (p.podIPs.length === 0) throw new PolicyQueryError(`pod ${ref} has no IP (status.podIP/podIPs)`);
    if (!p.hostNetwork && p.nodeName === undefined) throw new PolicyQueryError(`pod ${ref} has no spec.nodeName`);
    return p;
  }

  private iface(p: Pod): string | undefined {
    if (!isActionable(p) || p.nodeName === undefined) return undefined;
    return this.node(p.nodeName).compiled.endpoints.find((e) => e.pod === podKey(p))?.iface;
  }

  private side(p: Pod, direction: 'ingress' | 'egress', packet: Omit<Packet, 'inIface' | 'outIface'>): SideResult {
    const iface = this.iface(p);
    if (iface === undefined || p.nodeName === undefined) return OPEN; // host-network: never policed
    const n = this.node(p.nodeName);
    const ev = packet.family === 4 ? n.v4 : n.v6;
    const full: Packet = direction === 'egress' ? { ...packet, inIface: iface, outIface: UPLINK } : { ...packet, inIface: UPLINK, outIface: iface };
    const t = ev.trace(full);
    const allowed = t.verdict !== 'drop';
    const endpoint = t.steps.find((s) => s.rule.action.type === 'goto' && ev.chain(s.rule.action.chain)?.kind === 'endpoint');
    if (endpoint === undefined || endpoint.rule.action.type !== 'goto') return { allowed, isolated: false, policies: [] };
    const chain = ev.chain(endpoint.rule.action.chain);
    const policies: PolicyRef[] = [];
    const isolating: PolicyRef[] = [];
    // Every selecting policy is asked on its own, so all that allow are listed (the kernel stops at the first).
    for (const r of chain?.rules ?? []) {
      if (r.action.type !== 'jump') continue;
      const pc = ev.chain(r.action.chain);
      if (pc?.policy === undefined) continue;
      isolating.push({ namespace: pc.policy.namespace, name: pc.policy.name, rule: null });
      const run = ev.run(pc.name, full, 0);
      if ((run.mark & ALLOW_MARK) === 0) continue;
      const by = run.steps.find((s) => s.rule.action.type === 'set-mark' && s.rule.origin !== undefined);
      policies.push({ namespace: pc.policy.namespace, name: pc.policy.name, rule: by?.rule.origin?.rule ?? null });
    }
    return { allowed, isolated: true, policies: allowed ? policies : isolating };
  }

  /** Trace of the packet exactly as the kernel of `node` sees it (for --json consumers and tests). */
  traceOn(node: string, packet: Packet): Trace {
    const n = this.node(node);
    return (packet.family === 4 ? n.v4 : n.v6).trace(packet);
  }

  explain(fromRef: string, toRef: string, port: number, protocol: Protocol, family?: Family): Explanation {
    const from = this.pod(fromRef);
    const to = this.pod(toRef);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new PolicyQueryError(`port ${port}: must be 1-65535`);
    const fams = ([4, 6] as const).filter((f) => (family === undefined || f === family) && from.podIPs.some((i) => familyOf(i) === f) && to.podIPs.some((i) => familyOf(i) === f));
    const fam = fams[0];
    if (fam === undefined) throw new PolicyQueryError(`${fromRef} and ${toRef} share no address family${family !== undefined ? ` (asked IPv${family})` : ''}`);
    const src = from.podIPs.find((i) => familyOf(i) === fam) ?? '';
    const dst = to.podIPs.find((i) => familyOf(i) === fam) ?? '';
    const base = { family: fam, src, dst, proto: protocol.toLowerCase() as L4Protocol, dport: port };
    const sameNode = from.nodeName !== undefined && from.nodeName === to.nodeName;
    // Pod <-> its own node's stack (INPUT/OUTPUT) is never policed.
    const nodeTraffic = sameNode && (from.hostNetwork || to.hostNetwork);
    const egress = nodeTraffic ? OPEN : this.side(from, 'egress', base);
    const ingress = nodeTraffic ? OPEN : this.side(to, 'ingress', base);
    let allowed = egress.allowed && ingress.allowed;
    const fi = this.iface(from);
    const ti = this.iface(to);
    if (sameNode && !nodeTraffic && fi !== undefined && ti !== undefined && from.nodeName !== undefined) {
      // Same node: one pass through FORWARD with both veths; this is the kernel's answer.
      allowed = this.traceOn(from.nodeName, { ...base, inIface: fi, outIface: ti }).verdict !== 'drop';
    }
    return {
      allowed,
      family: fam,
      from: { pod: fromRef, ip: src, node: from.nodeName },
      to: { pod: toRef, ip: dst, node: to.nodeName },
      port,
      protocol,
      egress,
      ingress,
    };
  }
}

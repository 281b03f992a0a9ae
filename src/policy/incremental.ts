// The incremental compile: equal IR to compile.ts for the same model and node (the property test
// in test/unit/policy/incremental.test.ts checks that over random update sequences), but each
// compile reworks only what depends on the objects that changed since the last one:
//   a policy's chains      when the policy changes (keyed by its content, per direction/family)
//   a local pod's piece    (interface, selecting lists, dispatch lines) when the pod changes or a
//                          policy of its namespace does
//   a set's members        per changed pod, and per pod of a namespace whose labels changed
//   endpoint chains        never: they depend only on the policy list in their name
// Unchanged pieces are the very objects returned last time, and when no chain input changed the
// tables are too, so plan-delta.ts can skip them by reference and plan only the changed sets.
// The whole model still comes in on every call (PolicySyncer coalesces updates into models);
// diffing it by reference is a Map lookup per object.

import type { NetworkPolicy, Pod } from '../k8s/objects.js';
import type { Family } from '../net/ip.js';
import { byName, dispatchChain, dispatchRule, endpointChainOf, fixedChains, policyChainOf, policyRef, selectingOf, type Direction } from './chains.js';
import { hostInterfaceOf, type CompileOptions } from './compile.js';
import type { Chain, CompiledPolicy, IpSet, Rule, Table } from './ir.js';
import { isActionable, podKey, type PolicyModel } from './model.js';
import { diffModels, indexModel, type ModelDiff, type ModelIndex } from './model-diff.js';
import { CHAIN_FORWARD, DEFAULT_IFACE_PREFIX } from './names.js';
import { SetStore } from './set-store.js';
import type { SetSpec } from './set-specs.js';

interface LocalPod {
  readonly pod: Pod;
  readonly key: string;
  readonly iface: string;
  readonly ingress: readonly NetworkPolicy[];
  readonly egress: readonly NetworkPolicy[];
  /** Endpoint chain per direction, undefined when not isolated that way. */
  readonly target: { readonly ingress: string | undefined; readonly egress: string | undefined };
  readonly dispatch: { readonly ingress: Rule; readonly egress: Rule };
}

interface PolicyPiece {
  readonly policy: NetworkPolicy;
  readonly chain: Chain;
  readonly sets: readonly SetSpec[];
}

const DIRECTIONS = ['ingress', 'egress'] as const;
const FAMILIES = [4, 6] as const;

export class IncrementalCompiler {
  private readonly iface: (pod: Pod) => string;
  private readonly fixed: readonly Chain[];
  private index: ModelIndex | undefined;
  private readonly local = new Map<string, LocalPod>();
  private readonly policyPieces = new Map<string, PolicyPiece>();
  private readonly endpointChains = new Map<string, Chain>();
  private readonly sets = new SetStore();
  private last: CompiledPolicy | undefined;
  /** The set specs the last tables refer to; valid while the tables are reused. */
  private specs: readonly SetSpec[] = [];

  constructor(private readonly opts: CompileOptions) {
    this.iface = hostInterfaceOf(opts);
    this.fixed = fixedChains(opts.ifacePrefix ?? DEFAULT_IFACE_PREFIX);
  }

  compile(model: PolicyModel): CompiledPolicy {
    try {
      return this.step(model);
    } catch (e) {
      // Half-updated caches would be wrong forever after; start the next compile from scratch.
      this.index = this.last = undefined;
      this.local.clear();
      this.policyPieces.clear();
      this.endpointChains.clear();
      this.sets.retain(new Set());
      throw e;
    }
  }

  private step(model: PolicyModel): CompiledPolicy {
    const next = indexModel(model);
    const prev = this.index;
    this.index = next;
    const diff = prev === undefined ? undefined : diffModels(prev, next);
    const localChanged = this.updateLocal(next, diff);
    if (diff !== undefined) this.updateSets(next, diff);
    for (const k of diff?.policies ?? []) for (const d of DIRECTIONS) for (const f of FAMILIES) this.policyPieces.delete(`${d}|${f}|${k}`);

    const last = this.last;
    const chainsSame = last !== undefined && !localChanged && diff !== undefined && diff.policies.size === 0;
    let v4 = last?.v4;
    let v6 = last?.v6;
    if (!chainsSame || v4 === undefined || v6 === undefined) {
      const active = this.activePolicies();
      const pieces = { 4: this.activePieces(active, 4), 6: this.activePieces(active, 6) };
      const local = this.sortedLocal();
      v4 = this.table(4, local, pieces[4]);
      v6 = this.table(6, local, pieces[6]);
      this.specs = activeSpecs([...pieces[4], ...pieces[6]]);
      this.pruneEndpointChains();
    }
    const c: CompiledPolicy = {
      node: this.opts.node,
      sets: this.collectSets(next),
      v4,
      v6,
      endpoints: !localChanged && last !== undefined ? last.endpoints : this.sortedLocal().map((l) => ({ pod: l.key, iface: l.iface, ips: l.pod.podIPs })),
    };
    this.last = c;
    return c;
  }

  /** Recompute the pieces of local pods that changed or whose namespace's policies did. */
  private updateLocal(index: ModelIndex, diff: ModelDiff | undefined): boolean {
    let changed = false;
    const consider = new Set<string>();
    if (diff === undefined) for (const k of index.pods.keys()) consider.add(k);
    else {
      for (const k of diff.pods) consider.add(k);
      for (const ns of diff.policyNamespaces) for (const p of index.podsByNs.get(ns) ?? []) consider.add(podKey(p));
    }
    for (const key of consider) {
      const pod = index.pods.get(key);
      if (pod === undefined || pod.nodeName !== this.opts.node || !isActionable(pod)) {
        changed = this.local.delete(key) || changed;
        continue;
      }
      const piece = this.localPiece(pod, key, index.policiesByNs.get(pod.namespace) ?? []);
      const was = this.local.get(key);
      if (was !== undefined && sameLocal(was, piece)) {
        // Same lines in every chain: keep the old rule objects so the chains can be reused.
        this.local.set(key, { ...piece, dispatch: was.dispatch });
        continue;
      }
      this.local.set(key, piece);
      changed = true;
    }
    return changed;
  }

  private localPiece(pod: Pod, key: string, policies: readonly NetworkPolicy[]): LocalPod {
    const iface = this.iface(pod);
    const ingress = selectingOf(policies, pod, 'ingress');
    const egress = selectingOf(policies, pod, 'egress');
    const target = { ingress: this.endpointTarget('ingress', ingress), egress: this.endpointTarget('egress', egress) };
    return {
      pod,
      key,
      iface,
      ingress,
      egress,
      target,
      dispatch: { ingress: dispatchRule(key, iface, 'ingress', target.ingress), egress: dispatchRule(key, iface, 'egress', target.egress) },
    };
  }

  private endpointTarget(direction: Direction, policies: readonly NetworkPolicy[]): string | undefined {
    if (policies.length === 0) return undefined;
    const list = policies.map(policyRef);
    const id = `${direction}|${list.join('|')}`;
    let chain = this.endpointChains.get(id);
    if (chain === undefined) {
      chain = endpointChainOf(direction, list);
      this.endpointChains.set(id, chain);
    }
    return chain.name;
  }

  private updateSets(index: ModelIndex, diff: ModelDiff): void {
    const pods = new Set(diff.pods);
    for (const ns of diff.nsLabels) for (const p of index.podsByNs.get(ns) ?? []) pods.add(podKey(p));
    for (const key of pods) this.sets.updatePod(key, index.pods.get(key), index);
  }

  private sortedLocal(): LocalPod[] {
    return [...this.local.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Every (direction, policy) selecting some local pod, by piece id without the family. */
  private activePolicies(): Map<string, { policy: NetworkPolicy; direction: Direction }> {
    const active = new Map<string, { policy: NetworkPolicy; direction: Direction }>();
    for (const l of this.local.values()) {
      for (const p of l.ingress) active.set(`ingress|${policyRef(p)}`, { policy: p, direction: 'ingress' });
      for (const p of l.egress) active.set(`egress|${policyRef(p)}`, { policy: p, direction: 'egress' });
    }
    return active;
  }

  /** The chain pieces of the active policies in one family, built on first use. */
  private activePieces(active: ReadonlyMap<string, { policy: NetworkPolicy; direction: Direction }>, family: Family): PolicyPiece[] {
    const out: PolicyPiece[] = [];
    for (const a of active.values()) {
      const id = `${a.direction}|${family}|${policyRef(a.policy)}`;
      let piece = this.policyPieces.get(id);
      if (piece === undefined) {
        piece = { policy: a.policy, ...policyChainOf(a.policy, a.direction, family) };
        this.policyPieces.set(id, piece);
      }
      out.push(piece);
    }
    return out;
  }

  private table(family: Family, local: readonly LocalPod[], pieces: readonly PolicyPiece[]): Table {
    const chains: Chain[] = [...this.fixed, dispatchChain('egress', local.map((l) => l.dispatch.egress)), dispatchChain('ingress', local.map((l) => l.dispatch.ingress))];
    const endpoint = new Map<string, Chain>();
    for (const l of local) {
      for (const d of DIRECTIONS) {
        const list = (d === 'ingress' ? l.ingress : l.egress).map(policyRef);
        if (list.length === 0) continue;
        const c = this.endpointChains.get(`${d}|${list.join('|')}`);
        if (c !== undefined) endpoint.set(c.name, c);
      }
    }
    chains.push(...endpoint.values(), ...pieces.map((p) => p.chain));
    chains.sort(byName);
    return { family, hooks: [{ from: 'FORWARD', to: CHAIN_FORWARD, comment: 'meridian network policy' }], chains };
  }

  /** Drop endpoint chains no local pod uses (pod churn would otherwise grow the cache forever). */
  private pruneEndpointChains(): void {
    const used = new Set<string>();
    for (const l of this.local.values()) for (const t of [l.target.ingress, l.target.egress]) if (t !== undefined) used.add(t);
    for (const [id, c] of [...this.endpointChains]) if (!used.has(c.name)) this.endpointChains.delete(id);
  }

  private collectSets(index: ModelIndex): IpSet[] {
    this.sets.retain(new Set(this.specs.map((s) => s.name)));
    return this.specs.map((s) => this.sets.get(s, index)).sort(byName);
  }
}

function activeSpecs(pieces: readonly PolicyPiece[]): SetSpec[] {
  const specs = new Map<string, SetSpec>();
  for (const p of pieces) for (const s of p.sets) specs.set(s.name, s);
  return [...specs.values()];
}

function sameLocal(a: LocalPod, b: LocalPod): boolean {
  return a.iface === b.iface && a.target.ingress === b.target.ingress && a.target.egress === b.target.egress && a.ingress.length === b.ingress.length && a.egress.length === b.egress.length && a.ingress.every((p, i) => p === b.ingress[i]) && a.egress.every((p, i) => p === b.egress[i]) && a.pod.podIPs.join() === b.pod.podIPs.join();
}

export function incrementalCompiler(opts: CompileOptions): (model: PolicyModel) => CompiledPolicy {
  const c = new IncrementalCompiler(opts);
  return (m) => c.compile(m);
}

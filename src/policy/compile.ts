// Model + node name -> the node's policy IR. Pure and deterministic: inputs are walked in sorted
// order, so equal models give equal IR (and byte-identical rendered text).
//
// Layout (filter table, each family; docs/policy.md has an example):
//   FORWARD          -> MERIDIAN-FORWARD (hook, kept first)
//   MERIDIAN-FORWARD  -i/-o <prefix>+ -> MERIDIAN-POD: only pod traffic is ever looked at
//   MERIDIAN-POD      INVALID drop; ESTABLISHED,RELATED accept; -i -> FROM-POD; -o -> TO-POD; accept
//   MERIDIAN-FROM-POD -i <iface> -g MRD-FW-<policies> (or RETURN when no egress policy selects
//                     the pod); last: DROP, so an interface we do not know yet fails closed
//   MERIDIAN-TO-POD   the same on -o for ingress, to MRD-TW-<policies>
//   MRD-FW/TW-<policies>  one per distinct list of selecting policies, shared by the pods it
//                     serves: clear the allow mark; per policy: jump MRD-PE/PI-<policy>, RETURN
//                     if it set the mark; DROP
//   MRD-PE/PI-<pol>   per rule: per peer x port a line that sets the allow mark; RETURN if set
// A same-node pod-to-pod packet goes through the sender's FW chain and then the receiver's TW
// chain, so both sides' policy applies. Rules grow with pods + policies: a pod costs one dispatch
// line per direction, an endpoint chain a jump per policy in its list, a policy chain a line per
// peer x port; never per pod pair.
// This is the reference compile: everything from scratch. incremental.ts must give equal IR.
// Only traffic forwarded for pods is intercepted: traffic between a pod and its own node (INPUT,
// OUTPUT) is always allowed, as the NetworkPolicy API specifies.

import type { NetworkPolicy, Pod } from '../k8s/objects.js';
import type { Family } from '../net/ip.js';
import { byName, dispatchChain, dispatchRule, endpointChainOf, fixedChains, policyChainOf, policyRef, selectingOf, type Direction } from './chains.js';
import { familyOf } from './cidr.js';
import type { Chain, CompiledPolicy, Table } from './ir.js';
import { isActionable, namespaceLabels, podKey, type PolicyModel } from './model.js';
import { CHAIN_FORWARD, DEFAULT_IFACE_PREFIX, defaultHostInterface, endpointChain, policyChain } from './names.js';
import { SetRegistry } from './sets.js';

export type { Direction } from './chains.js';

export interface CompileOptions {
  readonly node: string;
  /** The host-side interface of a local pod. Default: names.ts defaultHostInterface. */
  readonly hostInterface?: (pod: Pod) => string;
  /** Prefix every host-side pod interface starts with. Default "mrd". */
  readonly ifacePrefix?: string;
}

export interface Endpoint {
  readonly pod: Pod;
  readonly key: string;
  readonly iface: string;
  readonly ingress: readonly NetworkPolicy[];
  readonly egress: readonly NetworkPolicy[];
}

/** Policies of `pod`'s namespace that select it for `direction`, in name order. */
export function selectingPolicies(model: PolicyModel, pod: Pod, direction: Direction): NetworkPolicy[] {
  return selectingOf(model.policies, pod, direction);
}

export function hostInterfaceOf(opts: CompileOptions): (pod: Pod) => string {
  const prefix = opts.ifacePrefix ?? DEFAULT_IFACE_PREFIX;
  return opts.hostInterface ?? ((p) => defaultHostInterface(p.namespace, p.name, prefix));
}

/** Policies grouped by namespace, each list in name order (the model's order). */
export function policiesByNamespace(policies: readonly NetworkPolicy[]): Map<string, NetworkPolicy[]> {
  const m = new Map<string, NetworkPolicy[]>();
  for (const p of policies) {
    const list = m.get(p.namespace);
    if (list === undefined) m.set(p.namespace, [p]);
    else list.push(p);
  }
  return m;
}

/** Local pods that policy applies to, sorted. */
export function localEndpoints(model: PolicyModel, opts: CompileOptions): Endpoint[] {
  const iface = hostInterfaceOf(opts);
  const byNs = policiesByNamespace(model.policies);
  return model.pods
    .filter((p) => p.nodeName === opts.node && isActionable(p))
    .map((pod) => {
      const policies = byNs.get(pod.namespace) ?? [];
      return { pod, key: podKey(pod), iface: iface(pod), ingress: selectingOf(policies, pod, 'ingress'), egress: selectingOf(policies, pod, 'egress') };
    })
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function compileTable(family: Family, endpoints: readonly Endpoint[], sets: SetRegistry, prefix: string): Table {
  const target = (ep: Endpoint, d: Direction): string | undefined => {
    const list = (d === 'ingress' ? ep.ingress : ep.egress).map(policyRef);
    return list.length === 0 ? undefined : endpointChain(d, list);
  };
  const chains: Chain[] = [
    ...fixedChains(prefix),
    dispatchChain('egress', endpoints.map((ep) => dispatchRule(ep.key, ep.iface, 'egress', target(ep, 'egress')))),
    dispatchChain('ingress', endpoints.map((ep) => dispatchRule(ep.key, ep.iface, 'ingress', target(ep, 'ingress')))),
  ];
  const endpointChains = new Map<string, Chain>();
  const active = new Map<string, { policy: NetworkPolicy; direction: Direction }>();
  for (const ep of endpoints) {
    for (const direction of ['ingress', 'egress'] as const) {
      const policies = direction === 'ingress' ? ep.ingress : ep.egress;
      if (policies.length === 0) continue;
      const list = policies.map(policyRef);
      const name = endpointChain(direction, list);
      if (!endpointChains.has(name)) endpointChains.set(name, endpointChainOf(direction, list));
      for (const p of policies) active.set(policyChain(direction, p.namespace, p.name), { policy: p, direction });
    }
  }
  chains.push(...endpointChains.values());
  for (const name of [...active.keys()].sort()) {
    const a = active.get(name);
    if (a === undefined) continue;
    const piece = policyChainOf(a.policy, a.direction, family);
    for (const spec of piece.sets) sets.resolve(spec);
    chains.push(piece.chain);
  }
  chains.sort(byName);
  return { family, hooks: [{ from: 'FORWARD', to: CHAIN_FORWARD, comment: 'meridian network policy' }], chains };
}

export function compile(model: PolicyModel, opts: CompileOptions): CompiledPolicy {
  const prefix = opts.ifacePrefix ?? DEFAULT_IFACE_PREFIX;
  const endpoints = localEndpoints(model, opts);
  const sets = new SetRegistry(model, namespaceLabels(model));
  const v4 = compileTable(4, endpoints, sets, prefix);
  const v6 = compileTable(6, endpoints, sets, prefix);
  return {
    node: opts.node,
    sets: sets.all(),
    v4,
    v6,
    endpoints: endpoints.map((ep) => ({ pod: ep.key, iface: ep.iface, ips: ep.pod.podIPs })),
  };
}

/** Families in use: a family's table is applied only when some pod has an address in it. */
export function familiesInUse(model: PolicyModel): Family[] {
  const fams = new Set<Family>();
  for (const p of model.pods) for (const ip of p.podIPs) {
    const f = familyOf(ip);
    if (f !== undefined) fams.add(f);
  }
  return ([4, 6] as const).filter((f) => fams.has(f));
}

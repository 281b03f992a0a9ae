// Model + node name -> the node's policy IR. Pure and deterministic: inputs are walked in sorted
// order, so equal models give equal IR (and byte-identical rendered text).
//
// Layout (filter table, each family; docs/policy.md has an example):
//   FORWARD          -> MERIDIAN-FORWARD (hook, kept first)
//   MERIDIAN-FORWARD  -i/-o <prefix>+ -> MERIDIAN-POD: only pod traffic is ever looked at
//   MERIDIAN-POD      INVALID drop; ESTABLISHED,RELATED accept; -i -> FROM-POD; -o -> TO-POD; accept
//   MERIDIAN-FROM-POD -i <iface> -g MRD-FW-<pod> (or RETURN when no egress policy selects the pod);
//                     last: DROP, so an interface we do not know yet fails closed
//   MERIDIAN-TO-POD   the same on -o for ingress, to MRD-TW-<pod>
//   MRD-FW/TW-<pod>   clear the allow mark; per selecting policy: jump MRD-PE/PI-<policy>, RETURN
//                     if it set the mark; DROP
//   MRD-PE/PI-<pol>   per rule: per peer x port a line that sets the allow mark; RETURN if set
// A same-node pod-to-pod packet goes through the sender's FW chain and then the receiver's TW
// chain, so both sides' policy applies. Rules grow with pods + policies: an endpoint chain has a
// jump per policy selecting it, a policy chain a line per peer x port, never per pod pair.
// Only traffic forwarded for pods is intercepted: traffic between a pod and its own node (INPUT,
// OUTPUT) is always allowed, as the NetworkPolicy API specifies.

import type { NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicyRule, Pod } from '../k8s/objects.js';
import type { Family } from '../net/ip.js';
import { familyOf } from './cidr.js';
import type { Chain, CompiledPolicy, L4Protocol, Match, Rule, RuleOrigin, Table } from './ir.js';
import { effectivePolicyTypes, isActionable, namespaceLabels, podKey, type PolicyModel } from './model.js';
import {
  ALLOW_MARK,
  CHAIN_FORWARD,
  CHAIN_FROM_POD,
  CHAIN_POD,
  CHAIN_TO_POD,
  DEFAULT_IFACE_PREFIX,
  defaultHostInterface,
  endpointChain,
  policyChain,
} from './names.js';
import { selectorMatches } from './selector.js';
import { SetRegistry } from './sets.js';

export type Direction = 'ingress' | 'egress';

export interface CompileOptions {
  readonly node: string;
  /** The host-side interface of a local pod. Default: names.ts defaultHostInterface. */
  readonly hostInterface?: (pod: Pod) => string;
  /** Prefix every host-side pod interface starts with. Default "mrd". */
  readonly ifacePrefix?: string;
}

interface Endpoint {
  readonly pod: Pod;
  readonly key: string;
  readonly iface: string;
  readonly ingress: readonly NetworkPolicy[];
  readonly egress: readonly NetworkPolicy[];
}

const MARK_ALLOWED: Match = { type: 'mark', value: ALLOW_MARK, mask: ALLOW_MARK };

/** Policies of `pod`'s namespace that select it for `direction`, in name order. */
export function selectingPolicies(model: PolicyModel, pod: Pod, direction: Direction): NetworkPolicy[] {
  if (!isActionable(pod)) return [];
  const type = direction === 'ingress' ? 'Ingress' : 'Egress';
  return model.policies.filter(
    (p) => p.namespace === pod.namespace && effectivePolicyTypes(p).includes(type) && selectorMatches(p.podSelector, pod.labels),
  );
}

function hostInterfaceOf(opts: CompileOptions): (pod: Pod) => string {
  const prefix = opts.ifacePrefix ?? DEFAULT_IFACE_PREFIX;
  return opts.hostInterface ?? ((p) => defaultHostInterface(p.namespace, p.name, prefix));
}

/** Local pods that policy applies to, sorted. */
export function localEndpoints(model: PolicyModel, opts: CompileOptions): Endpoint[] {
  const iface = hostInterfaceOf(opts);
  return model.pods
    .filter((p) => p.nodeName === opts.node && isActionable(p))
    .map((pod) => ({
      pod,
      key: podKey(pod),
      iface: iface(pod),
      ingress: selectingPolicies(model, pod, 'ingress'),
      egress: selectingPolicies(model, pod, 'egress'),
    }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function portMatches(port: NetworkPolicyPort, family: Family, sets: SetRegistry): Match[] {
  const proto = port.protocol.toLowerCase() as L4Protocol;
  if (port.port === undefined) return [{ type: 'proto', proto }];
  if (typeof port.port === 'string') {
    return [{ type: 'proto', proto }, { type: 'set', set: sets.namedPortSet(family, port.protocol, port.port), dir: 'dst,dst' }];
  }
  return [{ type: 'proto', proto }, { type: 'dport', from: port.port, to: port.endPort ?? port.port }];
}

/** The match for one peer, or undefined when it can hold no address of this family. */
function peerMatch(peer: NetworkPolicyPeer, policy: NetworkPolicy, direction: Direction, family: Family, sets: SetRegistry): Match | undefined {
  const dir = direction === 'ingress' ? 'src' : 'dst';
  if (peer.ipBlock !== undefined) {
    const set = sets.ipBlockSet(family, peer.ipBlock);
    return set === undefined ? undefined : { type: 'set', set, dir };
  }
  return { type: 'set', set: sets.selectorSet(family, policy.namespace, peer.podSelector, peer.namespaceSelector), dir };
}

function ruleLines(policy: NetworkPolicy, direction: Direction, index: number, rule: NetworkPolicyRule, family: Family, sets: SetRegistry): Rule[] {
  const origin: RuleOrigin = { namespace: policy.namespace, name: policy.name, direction, rule: index };
  const comment = `${policy.namespace}/${policy.name} ${direction} rule ${index}`;
  // No peers: every source/destination. Peers that all belong to the other family: nothing here.
  const peers: Match[][] =
    rule.peers.length === 0
      ? [[]]
      : rule.peers.flatMap((p) => {
          const m = peerMatch(p, policy, direction, family, sets);
          return m === undefined ? [] : [[m]];
        });
  const ports: Match[][] = rule.ports.length === 0 ? [[]] : rule.ports.map((p) => portMatches(p, family, sets));
  const lines: Rule[] = [];
  for (const peer of peers) {
    for (const port of ports) {
      lines.push({ matches: [...peer, ...port], action: { type: 'set-mark', value: ALLOW_MARK, mask: ALLOW_MARK }, comment, origin });
    }
  }
  if (lines.length > 0) lines.push({ matches: [MARK_ALLOWED], action: { type: 'return' }, comment: `${comment}: allowed` });
  return lines;
}

function policyChainOf(policy: NetworkPolicy, direction: Direction, family: Family, sets: SetRegistry): Chain {
  const rules = direction === 'ingress' ? policy.ingress : policy.egress;
  return {
    name: policyChain(direction, policy.namespace, policy.name),
    kind: 'policy',
    policy: { namespace: policy.namespace, name: policy.name, direction },
    rules: rules.flatMap((r, i) => ruleLines(policy, direction, i, r, family, sets)),
  };
}

function endpointChainOf(ep: Endpoint, direction: Direction): Chain {
  const policies = direction === 'ingress' ? ep.ingress : ep.egress;
  const rules: Rule[] = [{ matches: [], action: { type: 'set-mark', value: 0, mask: ALLOW_MARK }, comment: `${ep.key} ${direction}: clear allow mark` }];
  for (const p of policies) {
    rules.push({ matches: [], action: { type: 'jump', chain: policyChain(direction, p.namespace, p.name) }, comment: `${ep.key} ${direction}: ${p.namespace}/${p.name}` });
    rules.push({ matches: [MARK_ALLOWED], action: { type: 'return' }, comment: `${ep.key} ${direction}: allowed by ${p.namespace}/${p.name}` });
  }
  rules.push({ matches: [], action: { type: 'drop' }, comment: `${ep.key} ${direction}: isolated, no policy allows` });
  return { name: endpointChain(direction, ep.pod.namespace, ep.pod.name), kind: 'endpoint', endpoint: { pod: ep.key, direction }, rules };
}

function dispatchChain(endpoints: readonly Endpoint[], direction: Direction): Chain {
  const iface = (name: string): Match => (direction === 'egress' ? { type: 'in-iface', name } : { type: 'out-iface', name });
  const rules: Rule[] = endpoints.map((ep) => {
    const isolated = (direction === 'ingress' ? ep.ingress : ep.egress).length > 0;
    return isolated
      ? { matches: [iface(ep.iface)], action: { type: 'goto', chain: endpointChain(direction, ep.pod.namespace, ep.pod.name) }, comment: `${ep.key} ${direction}` }
      : { matches: [iface(ep.iface)], action: { type: 'return' }, comment: `${ep.key} ${direction}: not isolated` };
  });
  rules.push({ matches: [], action: { type: 'drop' }, comment: `unknown pod interface: fail closed` });
  return { name: direction === 'egress' ? CHAIN_FROM_POD : CHAIN_TO_POD, kind: 'dispatch', rules };
}

function fixedChains(prefix: string): Chain[] {
  const pods = `${prefix}+`;
  return [
    {
      name: CHAIN_FORWARD,
      kind: 'top',
      rules: [
        { matches: [{ type: 'in-iface', name: pods }], action: { type: 'jump', chain: CHAIN_POD }, comment: 'from a pod' },
        { matches: [{ type: 'out-iface', name: pods }], action: { type: 'jump', chain: CHAIN_POD }, comment: 'to a pod' },
      ],
    },
    {
      name: CHAIN_POD,
      kind: 'top',
      rules: [
        { matches: [{ type: 'ctstate', states: ['INVALID'] }], action: { type: 'drop' }, comment: 'conntrack INVALID' },
        { matches: [{ type: 'ctstate', states: ['RELATED', 'ESTABLISHED'] }], action: { type: 'accept' }, comment: 'conntrack RELATED,ESTABLISHED' },
        { matches: [{ type: 'in-iface', name: pods }], action: { type: 'jump', chain: CHAIN_FROM_POD }, comment: 'egress policy of the sender' },
        { matches: [{ type: 'out-iface', name: pods }], action: { type: 'jump', chain: CHAIN_TO_POD }, comment: 'ingress policy of the receiver' },
        { matches: [], action: { type: 'accept' }, comment: 'allowed by policy' },
      ],
    },
  ];
}

function compileTable(family: Family, endpoints: readonly Endpoint[], sets: SetRegistry, prefix: string): Table {
  const chains: Chain[] = [...fixedChains(prefix), dispatchChain(endpoints, 'egress'), dispatchChain(endpoints, 'ingress')];
  const active = new Map<string, { policy: NetworkPolicy; direction: Direction }>();
  for (const ep of endpoints) {
    for (const direction of ['ingress', 'egress'] as const) {
      const policies = direction === 'ingress' ? ep.ingress : ep.egress;
      if (policies.length === 0) continue;
      chains.push(endpointChainOf(ep, direction));
      for (const p of policies) active.set(policyChain(direction, p.namespace, p.name), { policy: p, direction });
    }
  }
  for (const name of [...active.keys()].sort()) {
    const a = active.get(name);
    if (a !== undefined) chains.push(policyChainOf(a.policy, a.direction, family, sets));
  }
  chains.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
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

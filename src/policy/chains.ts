// The pieces a node's tables are assembled from, each a pure function of the few inputs it
// depends on, so the full compile (compile.ts) and the incremental one (incremental.ts) build
// identical chains and the incremental one can keep a piece while its inputs are unchanged:
//   policy chain     the policy and the family (sets are referred to by spec, not by members)
//   endpoint chain   the direction and the ordered list of selecting policies' names
//   dispatch rule    the pod's key, interface and whether it is isolated
//   fixed chains     the interface prefix
// Layout and why: compile.ts.

import type { NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicyRule, Pod } from '../k8s/objects.js';
import type { Family } from '../net/ip.js';
import type { Chain, L4Protocol, Match, Rule, RuleOrigin } from './ir.js';
import { effectivePolicyTypes, isActionable } from './model.js';
import { ALLOW_MARK, CHAIN_FORWARD, CHAIN_FROM_POD, CHAIN_POD, CHAIN_TO_POD, endpointChain, policyChain } from './names.js';
import { selectorMatches } from './selector.js';
import { ipBlockSpec, namedPortSpec, selectorSpec, type SetSpec } from './set-specs.js';

export type Direction = 'ingress' | 'egress';

const MARK_ALLOWED: Match = { type: 'mark', value: ALLOW_MARK, mask: ALLOW_MARK };

/** `policies` (those of the pod's namespace, in name order) that select `pod` for `direction`. */
export function selectingOf(policies: readonly NetworkPolicy[], pod: Pod, direction: Direction): NetworkPolicy[] {
  if (!isActionable(pod)) return [];
  const type = direction === 'ingress' ? 'Ingress' : 'Egress';
  return policies.filter((p) => p.namespace === pod.namespace && effectivePolicyTypes(p).includes(type) && selectorMatches(p.podSelector, pod.labels));
}

function portMatches(port: NetworkPolicyPort, family: Family, sets: SetSpec[]): Match[] {
  const proto = port.protocol.toLowerCase() as L4Protocol;
  if (port.port === undefined) return [{ type: 'proto', proto }];
  if (typeof port.port === 'string') {
    const spec = namedPortSpec(family, port.protocol, port.port);
    sets.push(spec);
    return [{ type: 'proto', proto }, { type: 'set', set: spec.name, dir: 'dst,dst' }];
  }
  return [{ type: 'proto', proto }, { type: 'dport', from: port.port, to: port.endPort ?? port.port }];
}

/** The match for one peer, or undefined when it can hold no address of this family. */
function peerMatch(peer: NetworkPolicyPeer, policy: NetworkPolicy, direction: Direction, family: Family, sets: SetSpec[]): Match | undefined {
  const dir = direction === 'ingress' ? 'src' : 'dst';
  const spec = peer.ipBlock !== undefined ? ipBlockSpec(family, peer.ipBlock) : selectorSpec(family, policy.namespace, peer.podSelector, peer.namespaceSelector);
  if (spec === undefined) return undefined;
  sets.push(spec);
  return { type: 'set', set: spec.name, dir };
}

function ruleLines(policy: NetworkPolicy, direction: Direction, index: number, rule: NetworkPolicyRule, family: Family, sets: SetSpec[]): Rule[] {
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

/** A policy's chain for one direction and family, and the sets its rules refer to (in rule order). */
export function policyChainOf(policy: NetworkPolicy, direction: Direction, family: Family): { chain: Chain; sets: SetSpec[] } {
  const rules = direction === 'ingress' ? policy.ingress : policy.egress;
  const sets: SetSpec[] = [];
  const chain: Chain = {
    name: policyChain(direction, policy.namespace, policy.name),
    kind: 'policy',
    policy: { namespace: policy.namespace, name: policy.name, direction },
    rules: rules.flatMap((r, i) => ruleLines(policy, direction, i, r, family, sets)),
  };
  return { chain, sets };
}

export function policyRef(p: { namespace: string; name: string }): string {
  return `${p.namespace}/${p.name}`;
}

/**
 * The endpoint chain for pods selected by exactly `policies` ("ns/name", name order), non-empty:
 * clear the allow mark; per policy jump to its chain and RETURN if it set the mark; DROP.
 */
export function endpointChainOf(direction: Direction, policies: readonly string[]): Chain {
  const rules: Rule[] = [{ matches: [], action: { type: 'set-mark', value: 0, mask: ALLOW_MARK }, comment: `${direction}: clear allow mark` }];
  for (const ref of policies) {
    const [namespace = '', name = ''] = ref.split('/');
    rules.push({ matches: [], action: { type: 'jump', chain: policyChain(direction, namespace, name) }, comment: `${direction}: ${ref}` });
    rules.push({ matches: [MARK_ALLOWED], action: { type: 'return' }, comment: `${direction}: allowed by ${ref}` });
  }
  rules.push({ matches: [], action: { type: 'drop' }, comment: `${direction}: isolated, no policy allows` });
  return { name: endpointChain(direction, policies), kind: 'endpoint', endpoint: { policies: [...policies], direction }, rules };
}

/**
 * A local pod's line in a dispatch chain: goto `target` (its endpoint chain, names.ts
 * endpointChain of its selecting policies) when isolated, else RETURN.
 */
export function dispatchRule(key: string, iface: string, direction: Direction, target: string | undefined): Rule {
  const match: Match = direction === 'egress' ? { type: 'in-iface', name: iface } : { type: 'out-iface', name: iface };
  return target !== undefined
    ? { matches: [match], action: { type: 'goto', chain: target }, comment: `${key} ${direction}` }
    : { matches: [match], action: { type: 'return' }, comment: `${key} ${direction}: not isolated` };
}

const FAIL_CLOSED: Rule = { matches: [], action: { type: 'drop' }, comment: `unknown pod interface: fail closed` };

/** MERIDIAN-FROM-POD / MERIDIAN-TO-POD: the local pods' lines in pod order, then DROP. */
export function dispatchChain(direction: Direction, rules: readonly Rule[]): Chain {
  return { name: direction === 'egress' ? CHAIN_FROM_POD : CHAIN_TO_POD, kind: 'dispatch', rules: [...rules, FAIL_CLOSED] };
}

export function fixedChains(prefix: string): Chain[] {
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

export function byName<T extends { readonly name: string }>(a: T, b: T): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

// The compiled form of policy for one node: ipsets and iptables chains as plain data. Everything
// downstream reads this one value: the renderers print it for the kernel, the evaluator traces
// packets through it (explain, matrix), the planner diffs it against what the kernel holds. Rules
// carry the policy and rule they came from, so a trace can say which rule decided.

import type { Family } from '../net/ip.js';

export type SetType = 'hash:ip' | 'hash:net' | 'hash:ip,port';

/** One set member. hash:net members may be `nomatch` (an ipBlock's except). */
export interface SetMember {
  /** "10.0.0.1", "10.0.0.0/8", "10.0.0.1,tcp:80": canonical, as `ipset save` prints it. */
  readonly entry: string;
  readonly nomatch: boolean;
}

export interface IpSet {
  readonly name: string;
  readonly family: Family;
  readonly type: SetType;
  /** Sorted by entry. */
  readonly members: readonly SetMember[];
  /** What the set stands for, for humans (docs, --format json). */
  readonly purpose: string;
}

export type L4Protocol = 'tcp' | 'udp' | 'sctp';
export type CtState = 'ESTABLISHED' | 'RELATED' | 'INVALID' | 'NEW';

export type Match =
  /** Interface name; a trailing "+" is a prefix wildcard, as in iptables. */
  | { readonly type: 'in-iface'; readonly name: string }
  | { readonly type: 'out-iface'; readonly name: string }
  | { readonly type: 'ctstate'; readonly states: readonly CtState[] }
  | { readonly type: 'set'; readonly set: string; readonly dir: 'src' | 'dst' | 'dst,dst' }
  | { readonly type: 'proto'; readonly proto: L4Protocol }
  /** Destination port range (inclusive); needs a proto match before it. */
  | { readonly type: 'dport'; readonly from: number; readonly to: number }
  | { readonly type: 'mark'; readonly value: number; readonly mask: number };

export type Action =
  | { readonly type: 'jump'; readonly chain: string }
  | { readonly type: 'goto'; readonly chain: string }
  | { readonly type: 'return' }
  | { readonly type: 'accept' }
  | { readonly type: 'drop' }
  | { readonly type: 'set-mark'; readonly value: number; readonly mask: number };

/** Where a rule came from: a NetworkPolicy's rule (index into spec.ingress / spec.egress). */
export interface RuleOrigin {
  readonly namespace: string;
  readonly name: string;
  readonly direction: 'ingress' | 'egress';
  readonly rule: number;
}

export interface Rule {
  readonly matches: readonly Match[];
  readonly action: Action;
  /** Human text rendered as an iptables comment (after our hash tag). */
  readonly comment: string;
  readonly origin?: RuleOrigin;
}

export type ChainKind = 'top' | 'dispatch' | 'endpoint' | 'policy';

export interface Chain {
  readonly name: string;
  readonly kind: ChainKind;
  readonly rules: readonly Rule[];
  /**
   * For policy chains: the policy. For endpoint chains: the selecting policies ("ns/name", in
   * order) and direction; one such chain serves every local pod those policies select (names.ts).
   */
  readonly policy?: { readonly namespace: string; readonly name: string; readonly direction: 'ingress' | 'egress' };
  readonly endpoint?: { readonly policies: readonly string[]; readonly direction: 'ingress' | 'egress' };
}

/** A jump from a built-in chain into ours, kept first in that chain. */
export interface Hook {
  readonly from: 'FORWARD';
  readonly to: string;
  readonly comment: string;
}

/** The filter table of one family. Chains sorted by name. */
export interface Table {
  readonly family: Family;
  readonly hooks: readonly Hook[];
  readonly chains: readonly Chain[];
}

export interface CompiledPolicy {
  readonly node: string;
  /** Sorted by name; both families. */
  readonly sets: readonly IpSet[];
  readonly v4: Table;
  readonly v6: Table;
  /** Local endpoints: pod "ns/name" -> host-side interface. Sorted by pod. */
  readonly endpoints: readonly { readonly pod: string; readonly iface: string; readonly ips: readonly string[] }[];
}

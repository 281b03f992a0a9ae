// What an ipset stands for, apart from who is in it. A policy chain refers to sets by spec (the
// name is a hash of the spec's canonical key, names.ts), and the members follow from the spec and
// the pods alone, one pod at a time (podEntries): the full compile folds every pod in at once
// (sets.ts), the incremental one adds and removes single pods' entries (set-store.ts). Both use
// these functions, so they cannot disagree on what a pod contributes.

import type { IPBlock, LabelSelector, Pod, Protocol } from '../k8s/objects.js';
import type { Family } from '../net/ip.js';
import { cidrCovers, familyOf, formatCidr, formatIp, parseCidr, splitCidr, type Cidr } from './cidr.js';
import type { IpSet, SetMember, SetType } from './ir.js';
import { setName } from './names.js';
import { canonicalSelector, selectorMatches } from './selector.js';

type Labels = Readonly<Record<string, string>>;

interface SpecBase {
  readonly name: string;
  readonly family: Family;
  readonly purpose: string;
}

export type SetSpec =
  /** Pods a selector peer selects (hash:ip). nsSelector undefined: only `policyNamespace`. */
  | (SpecBase & { readonly kind: 'sel'; readonly policyNamespace: string; readonly podSelector: LabelSelector | undefined; readonly nsSelector: LabelSelector | undefined })
  /** "ip,proto:port" of pods exposing a named port (hash:ip,port). */
  | (SpecBase & { readonly kind: 'npt'; readonly protocol: Protocol; readonly portName: string })
  /** An ipBlock (hash:net); its members do not depend on pods. */
  | (SpecBase & { readonly kind: 'blk'; readonly members: readonly SetMember[] });

const EMPTY: LabelSelector = { matchLabels: {}, matchExpressions: [] };

export function setTypeOf(spec: SetSpec): SetType {
  return spec.kind === 'sel' ? 'hash:ip' : spec.kind === 'npt' ? 'hash:ip,port' : 'hash:net';
}

export function byEntry(a: SetMember, b: SetMember): number {
  return a.entry < b.entry ? -1 : a.entry > b.entry ? 1 : 0;
}

/** The IR set for a spec and its (deduplicated) member entries. */
export function ipSetOf(spec: SetSpec, entries: Iterable<string>): IpSet {
  const members = spec.kind === 'blk' ? [...spec.members] : [...entries].map((entry) => ({ entry, nomatch: false }));
  return { name: spec.name, family: spec.family, type: setTypeOf(spec), members: members.sort(byEntry), purpose: spec.purpose };
}

/**
 * Pods a selector peer selects: podSelector alone means the policy's namespace; namespaceSelector
 * alone means every pod of the matching namespaces; both in one peer means both must hold.
 */
export function selectorSpec(family: Family, policyNamespace: string, podSelector: LabelSelector | undefined, nsSelector: LabelSelector | undefined): SetSpec {
  const key =
    nsSelector === undefined
      ? `ns=${policyNamespace};pod=${canonicalSelector(podSelector ?? EMPTY)}`
      : `nssel=${canonicalSelector(nsSelector)};pod=${podSelector === undefined ? '*' : canonicalSelector(podSelector)}`;
  return { kind: 'sel', name: setName('sel', family, key), family, purpose: `pods: ${key}`, policyNamespace, podSelector, nsSelector };
}

/** Named port: matched against the packet's destination address and port, so it resolves per destination pod. */
export function namedPortSpec(family: Family, protocol: Protocol, portName: string): SetSpec {
  const key = `${protocol}/${portName}`;
  return { kind: 'npt', name: setName('npt', family, key), family, purpose: `named port ${key}`, protocol, portName };
}

/** A hash:net entry as `ipset save` prints it: a host prefix without its length. */
function netEntry(c: Cidr): string {
  return c.prefix === (c.family === 4 ? 32 : 128) ? formatIp(c.family, c.addr) : formatCidr(c);
}

/**
 * An ipBlock as hash:net: the CIDR plus each except as `nomatch`. hash:net answers with its most
 * specific entry, so an address in an except (always strictly inside the CIDR) does not match.
 * One set per ipBlock: sharing a set between blocks would let one block's except hide another
 * block's CIDR. hash:net cannot hold a /0, so a /0 is stored as its two halves. Undefined when
 * the block is of the other family.
 */
export function ipBlockSpec(family: Family, block: IPBlock): SetSpec | undefined {
  const cidr = parseCidr(block.cidr);
  if (cidr === undefined || cidr.family !== family) return undefined;
  const excepts = block.except.map(parseCidr).filter((c): c is Cidr => c !== undefined && cidrCovers(cidr, c));
  const key = `${formatCidr(cidr)} except ${excepts.map(formatCidr).sort().join(',')}`;
  const members = new Map<string, SetMember>();
  for (const c of cidr.prefix === 0 ? splitCidr(cidr) : [cidr]) members.set(netEntry(c), { entry: netEntry(c), nomatch: false });
  for (const e of excepts) {
    const text = netEntry(e);
    // An except equal to a stored prefix (a /1 half of a /0) removes it instead.
    if (members.has(text)) members.delete(text);
    else members.set(text, { entry: text, nomatch: true });
  }
  return { kind: 'blk', name: setName('blk', family, key), family, purpose: `ipBlock ${key}`, members: [...members.values()].sort(byEntry) };
}

// A pod's addresses by family, once per pod object (objects are immutable values): every set
// asks, and parsing an address per set per pod was a tenth of a cold compile at 5,000 pods.
const byFamily = new WeakMap<Pod, { readonly 4: readonly string[]; readonly 6: readonly string[] }>();

function podIps(pod: Pod, family: Family): readonly string[] {
  let ips = byFamily.get(pod);
  if (ips === undefined) {
    ips = { 4: pod.podIPs.filter((ip) => familyOf(ip) === 4), 6: pod.podIPs.filter((ip) => familyOf(ip) === 6) };
    byFamily.set(pod, ips);
  }
  return ips[family];
}

/** Can pods of this namespace be in the set at all? (Lets callers skip whole namespaces.) */
export function namespaceMayMatch(spec: SetSpec, ns: string, nsLabels: Labels): boolean {
  if (spec.kind !== 'sel') return spec.kind === 'npt';
  return spec.nsSelector === undefined ? ns === spec.policyNamespace : selectorMatches(spec.nsSelector, nsLabels);
}

/**
 * What one actionable pod puts into the set, given its namespace's labels. Callers filter out
 * pods that are not actionable (model.ts isActionable): those are in no set.
 */
export function podEntries(spec: SetSpec, pod: Pod, nsLabels: Labels): string[] {
  switch (spec.kind) {
    case 'blk':
      return [];
    case 'sel': {
      if (!namespaceMayMatch(spec, pod.namespace, nsLabels)) return [];
      if (spec.podSelector !== undefined && !selectorMatches(spec.podSelector, pod.labels)) return [];
      return [...podIps(pod, spec.family)];
    }
    case 'npt': {
      const out: string[] = [];
      const proto = spec.protocol.toLowerCase();
      for (const cp of pod.ports) {
        if (cp.name !== spec.portName || cp.protocol !== spec.protocol) continue;
        for (const ip of podIps(pod, spec.family)) out.push(`${ip},${proto}:${cp.containerPort}`);
      }
      return out;
    }
  }
}

// The ipsets a policy chain refers to, built on demand while compiling and named by their contents
// (names.ts), so two policies with the same peer share one set and a pod coming or going changes
// only members. Sets for selector peers exist even when empty: the rule that uses them is then
// already in place when the first matching pod appears, and that pod is an ipset-only change.

import type { IPBlock, LabelSelector, Pod, Protocol } from '../k8s/objects.js';
import type { Family } from '../net/ip.js';
import { formatCidr, formatIp, parseCidr, splitCidr, type Cidr, familyOf, cidrCovers } from './cidr.js';
import type { IpSet, SetMember } from './ir.js';
import { isActionable, type PolicyModel } from './model.js';
import { setName } from './names.js';
import { canonicalSelector, selectorMatches } from './selector.js';

/** A hash:net entry as `ipset save` prints it: a host prefix without its length. */
function netEntry(c: Cidr): string {
  return c.prefix === (c.family === 4 ? 32 : 128) ? formatIp(c.family, c.addr) : formatCidr(c);
}

function byEntry(a: SetMember, b: SetMember): number {
  return a.entry < b.entry ? -1 : a.entry > b.entry ? 1 : 0;
}

export class SetRegistry {
  private readonly sets = new Map<string, IpSet>();
  private readonly pods: readonly Pod[];
  private readonly nsLabels: (ns: string) => Readonly<Record<string, string>>;

  constructor(model: PolicyModel, nsLabels: (ns: string) => Readonly<Record<string, string>>) {
    this.pods = model.pods.filter(isActionable);
    this.nsLabels = nsLabels;
  }

  all(): IpSet[] {
    return [...this.sets.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  private add(set: IpSet): string {
    if (!this.sets.has(set.name)) this.sets.set(set.name, { ...set, members: [...set.members].sort(byEntry) });
    return set.name;
  }

  /**
   * Pods a selector peer selects: podSelector alone means the policy's namespace; namespaceSelector
   * alone means every pod of the matching namespaces; both in one peer means both must hold.
   */
  selectorSet(family: Family, policyNamespace: string, podSelector: LabelSelector | undefined, nsSelector: LabelSelector | undefined): string {
    const key =
      nsSelector === undefined
        ? `ns=${policyNamespace};pod=${canonicalSelector(podSelector ?? { matchLabels: {}, matchExpressions: [] })}`
        : `nssel=${canonicalSelector(nsSelector)};pod=${podSelector === undefined ? '*' : canonicalSelector(podSelector)}`;
    const name = setName('sel', family, key);
    if (this.sets.has(name)) return name;
    const members = new Set<string>();
    for (const p of this.pods) {
      const nsOk = nsSelector === undefined ? p.namespace === policyNamespace : selectorMatches(nsSelector, this.nsLabels(p.namespace));
      if (!nsOk) continue;
      if (podSelector !== undefined && !selectorMatches(podSelector, p.labels)) continue;
      for (const ip of p.podIPs) if (familyOf(ip) === family) members.add(ip);
    }
    return this.add({
      name,
      family,
      type: 'hash:ip',
      members: [...members].map((entry) => ({ entry, nomatch: false })),
      purpose: `pods: ${key}`,
    });
  }

  /**
   * An ipBlock as hash:net: the CIDR plus each except as `nomatch`. hash:net answers with its most
   * specific entry, so an address in an except (always strictly inside the CIDR) does not match.
   * One set per ipBlock: sharing a set between blocks would let one block's except hide another
   * block's CIDR. hash:net cannot hold a /0, so a /0 is stored as its two halves. Undefined when
   * the block is of the other family.
   */
  ipBlockSet(family: Family, block: IPBlock): string | undefined {
    const cidr = parseCidr(block.cidr);
    if (cidr === undefined || cidr.family !== family) return undefined;
    const excepts = block.except.map(parseCidr).filter((c): c is Cidr => c !== undefined && cidrCovers(cidr, c));
    const key = `${formatCidr(cidr)} except ${excepts.map(formatCidr).sort().join(',')}`;
    const name = setName('blk', family, key);
    if (this.sets.has(name)) return name;
    const members = new Map<string, SetMember>();
    for (const c of cidr.prefix === 0 ? splitCidr(cidr) : [cidr]) members.set(netEntry(c), { entry: netEntry(c), nomatch: false });
    for (const e of excepts) {
      const text = netEntry(e);
      // An except equal to a stored prefix (a /1 half of a /0) removes it instead.
      if (members.has(text)) members.delete(text);
      else members.set(text, { entry: text, nomatch: true });
    }
    return this.add({ name, family, type: 'hash:net', members: [...members.values()], purpose: `ipBlock ${key}` });
  }

  /**
   * Named port: every pod exposing a container port of that name and protocol, as "ip,proto:port".
   * Matched against the packet's destination address and port, so the name resolves per
   * destination pod, to whatever number that pod gives it.
   */
  namedPortSet(family: Family, protocol: Protocol, portName: string): string {
    const key = `${protocol}/${portName}`;
    const name = setName('npt', family, key);
    if (this.sets.has(name)) return name;
    const proto = protocol.toLowerCase();
    const members = new Set<string>();
    for (const p of this.pods) {
      for (const cp of p.ports) {
        if (cp.name !== portName || cp.protocol !== protocol) continue;
        for (const ip of p.podIPs) if (familyOf(ip) === family) members.add(`${ip},${proto}:${cp.containerPort}`);
      }
    }
    return this.add({
      name,
      family,
      type: 'hash:ip,port',
      members: [...members].map((entry) => ({ entry, nomatch: false })),
      purpose: `named port ${key}`,
    });
  }
}

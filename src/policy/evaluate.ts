// Trace one packet through a compiled table as netfilter would: rules in order, jump/goto/RETURN
// with a call stack, marks, and ipset lookups on the IR's own members (hash:net answers with its
// most specific entry, so `nomatch` excepts work as in the kernel). explain and matrix are built
// on this, so they say what the kernel will do with the very rules it is given, not what a second
// model of NetworkPolicy thinks.

import type { Family } from '../net/ip.js';
import { assertNever } from '../errors.js';
import { cidrContains, parseCidr, parseIp, type Cidr } from './cidr.js';
import type { Chain, CtState, IpSet, L4Protocol, Match, Rule, Table } from './ir.js';

export interface Packet {
  readonly family: Family;
  readonly src: string;
  readonly dst: string;
  readonly proto: L4Protocol;
  readonly dport: number;
  /** Interface the packet came in on / goes out of (FORWARD has both). */
  readonly inIface: string;
  readonly outIface: string;
  readonly ctstate?: CtState;
}

export interface Step {
  readonly chain: string;
  readonly index: number;
  readonly rule: Rule;
}

export type Verdict = 'accept' | 'drop' | 'continue';

export interface Trace {
  /** accept/drop by our rules, or `continue`: our chains returned and the built-in chain goes on. */
  readonly verdict: Verdict;
  /** Every rule that matched, in order. */
  readonly steps: readonly Step[];
}

type SetLookup = (family: Family, addr: bigint, proto: L4Protocol, port: number) => boolean;

function lookupFor(set: IpSet): SetLookup {
  switch (set.type) {
    case 'hash:ip': {
      const members = new Set(set.members.map((m) => parseIp(m.entry)?.addr).filter((a): a is bigint => a !== undefined));
      return (family, addr) => family === set.family && members.has(addr);
    }
    case 'hash:net': {
      const entries = set.members
        .map((m) => ({ cidr: parseCidr(m.entry), nomatch: m.nomatch }))
        .filter((e): e is { cidr: Cidr; nomatch: boolean } => e.cidr !== undefined)
        .sort((a, b) => b.cidr.prefix - a.cidr.prefix);
      return (family, addr) => {
        if (family !== set.family) return false;
        const best = entries.find((e) => cidrContains(e.cidr, family, addr));
        return best !== undefined && !best.nomatch;
      };
    }
    case 'hash:ip,port': {
      const members = new Set<string>();
      for (const m of set.members) {
        const [ip = '', pp = ''] = m.entry.split(',');
        const a = parseIp(ip);
        if (a !== undefined) members.add(`${a.addr}|${pp}`);
      }
      return (family, addr, proto, port) => family === set.family && members.has(`${addr}|${proto}:${port}`);
    }
    default:
      return assertNever(set.type, 'set type');
  }
}

export class Evaluator {
  private readonly chains: Map<string, Chain>;
  private readonly sets: Map<string, SetLookup>;
  readonly table: Table;

  constructor(table: Table, sets: readonly IpSet[]) {
    this.table = table;
    this.chains = new Map(table.chains.map((c) => [c.name, c]));
    this.sets = new Map(sets.filter((s) => s.family === table.family).map((s) => [s.name, lookupFor(s)]));
  }

  chain(name: string): Chain | undefined {
    return this.chains.get(name);
  }

  private ifaceMatches(pattern: string, name: string): boolean {
    return pattern.endsWith('+') ? name.startsWith(pattern.slice(0, -1)) : pattern === name;
  }

  private matches(m: Match, p: Packet, mark: number, addrs: { src: bigint; dst: bigint }): boolean {
    switch (m.type) {
      case 'in-iface':
        return this.ifaceMatches(m.name, p.inIface);
      case 'out-iface':
        return this.ifaceMatches(m.name, p.outIface);
      case 'ctstate':
        return m.states.includes(p.ctstate ?? 'NEW');
      case 'set': {
        const lookup = this.sets.get(m.set);
        // The kernel refuses a rule naming a missing set; reaching one here is a compiler bug.
        if (lookup === undefined) throw new Error(`rule refers to unknown set ${m.set}`);
        return lookup(p.family, m.dir === 'src' ? addrs.src : addrs.dst, p.proto, p.dport);
      }
      case 'proto':
        return p.proto === m.proto;
      case 'dport':
        return p.dport >= m.from && p.dport <= m.to;
      case 'mark':
        return (mark & m.mask) === m.value;
      default:
        return assertNever(m, 'match');
    }
  }

  /** Trace from the hooks (the built-in FORWARD chain). */
  trace(p: Packet): Trace {
    const steps: Step[] = [];
    for (const h of this.table.hooks) {
      const t = this.run(h.to, p, 0, steps);
      if (t.verdict !== 'continue') return { verdict: t.verdict, steps };
    }
    return { verdict: 'continue', steps };
  }

  /** Run one chain as if jumped to, with the given mark; returns where it ended and the final mark. */
  run(start: string, p: Packet, initialMark: number, steps: Step[] = []): { verdict: Verdict; mark: number; steps: Step[] } {
    const src = parseIp(p.src);
    const dst = parseIp(p.dst);
    if (src === undefined || dst === undefined || src.family !== p.family || dst.family !== p.family) {
      throw new Error(`packet addresses ${p.src} -> ${p.dst} are not IPv${p.family}`);
    }
    const addrs = { src: src.addr, dst: dst.addr };
    let mark = initialMark;
    // Frames: chain and next rule index. A goto replaces the top frame; RETURN pops it.
    const stack: { chain: Chain; next: number }[] = [];
    const enter = (name: string): Chain => {
      const c = this.chains.get(name);
      if (c === undefined) throw new Error(`jump to unknown chain ${name}`);
      return c;
    };
    stack.push({ chain: enter(start), next: 0 });
    let guard = 0;
    while (stack.length > 0) {
      if (++guard > 1_000_000) throw new Error('rule loop');
      const top = stack[stack.length - 1];
      if (top === undefined) break;
      const rule = top.chain.rules[top.next];
      if (rule === undefined) {
        stack.pop();
        continue;
      }
      const index = top.next++;
      if (!rule.matches.every((m) => this.matches(m, p, mark, addrs))) continue;
      steps.push({ chain: top.chain.name, index, rule });
      const a = rule.action;
      switch (a.type) {
        case 'accept':
          return { verdict: 'accept', mark, steps };
        case 'drop':
          return { verdict: 'drop', mark, steps };
        case 'return':
          stack.pop();
          break;
        case 'jump':
          stack.push({ chain: enter(a.chain), next: 0 });
          break;
        case 'goto':
          stack[stack.length - 1] = { chain: enter(a.chain), next: 0 };
          break;
        case 'set-mark':
          mark = ((mark & ~a.mask) ^ a.value) >>> 0;
          break;
        default:
          return assertNever(a, 'action');
      }
    }
    return { verdict: 'continue', mark, steps };
  }
}

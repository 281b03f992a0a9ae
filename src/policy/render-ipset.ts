// IR -> `ipset restore` lines. Pure; sets and members come sorted from the compiler, so equal IR
// gives byte-identical text. hashsize/maxelem are fixed: ipset grows a hash on its own, and
// fixed options mean `ipset save` reads back the same create line on every node.

import { ipsetLine } from '../net/ipset.js';
import type { IpSet, SetMember } from './ir.js';

export const SET_MAXELEM = 1048576;

export function createLine(set: IpSet, name = set.name): string {
  return ipsetLine(['create', name, set.type, 'family', set.family === 4 ? 'inet' : 'inet6', 'hashsize', 1024, 'maxelem', SET_MAXELEM]);
}

export function memberLine(verb: 'add' | 'del', name: string, m: SetMember): string {
  return ipsetLine(verb === 'add' && m.nomatch ? [verb, name, m.entry, 'nomatch'] : [verb, name, m.entry]);
}

/** Create and fill every set (for a fresh node; restore with -exist to make it replayable). */
export function renderIpsets(sets: readonly IpSet[]): string[] {
  const lines: string[] = [];
  for (const s of sets) {
    lines.push(createLine(s));
    for (const m of s.members) lines.push(memberLine('add', s.name, m));
  }
  return lines;
}

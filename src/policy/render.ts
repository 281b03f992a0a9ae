// The `policy compile --format restore` text: the ipset restore lines, then one iptables-restore
// block per family in use. Section headers are comments so a reader can split the text.

import type { Family } from '../net/ip.js';
import type { CompiledPolicy } from './ir.js';
import { renderIpsets } from './render-ipset.js';
import { renderTable } from './render-iptables.js';

export function renderRestore(c: CompiledPolicy, families: readonly Family[]): string {
  const out: string[] = [`# node ${c.node}`, '# ipset restore -exist'];
  const sets = c.sets.filter((s) => families.includes(s.family));
  out.push(...renderIpsets(sets));
  for (const f of families) {
    out.push(`# ${f === 4 ? 'iptables' : 'ip6tables'}-restore --noflush`);
    out.push(renderTable(f === 4 ? c.v4 : c.v6).trimEnd());
  }
  return out.join('\n') + '\n';
}

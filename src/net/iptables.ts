// iptables adapter: read with iptables-save, write with `iptables-restore --noflush`. --noflush
// because a plain restore empties every chain of each table it names, kube-proxy's and Docker's
// included; with it, only the chains the input declares (`:CHAIN - [0:0]`) are flushed, so
// Meridian rewrites its own chains atomically and leaves everyone else's alone. -w waits for the
// xtables lock rather than failing when kube-proxy is mid-restore.

import type { Family, NetnsOption } from './ip.js';
import type { Runner } from './runner.js';

export type IptablesTable = 'filter' | 'nat' | 'mangle' | 'raw';

const LOCK_WAIT_SECONDS = '5';

function tool(family: Family, verb: 'save' | 'restore'): string {
  return `${family === 6 ? 'ip6tables' : 'iptables'}-${verb}`;
}

export interface SaveOptions extends NetnsOption {
  readonly family: Family;
  readonly table: IptablesTable;
}

export async function iptablesSave(run: Runner, opts: SaveOptions): Promise<string> {
  const r = await run({ argv: [tool(opts.family, 'save'), '-t', opts.table], netns: opts.netns });
  return r.stdout;
}

export interface RestoreOptions extends NetnsOption {
  readonly family: Family;
  /** Default true. false only for a namespace that Meridian owns entirely (tests, the lab). */
  readonly noflush?: boolean;
}

/** Apply `iptables-restore` input (one or more `*table ... COMMIT` blocks) atomically per table. */
export async function iptablesRestore(run: Runner, text: string, opts: RestoreOptions): Promise<void> {
  if (text.trim() === '') return;
  const argv = [tool(opts.family, 'restore'), '-w', LOCK_WAIT_SECONDS];
  if (opts.noflush ?? true) argv.push('--noflush');
  await run({ argv, input: text.endsWith('\n') ? text : text + '\n', netns: opts.netns });
}

export interface SavedChain {
  readonly name: string;
  /** ACCEPT/DROP for built-in chains, undefined for user chains ("-"). */
  readonly policy: string | undefined;
  /** Rules as iptables-save prints them, without the leading "-A CHAIN ". */
  readonly rules: string[];
}

export interface SavedTable {
  readonly name: string;
  readonly chains: Map<string, SavedChain>;
}

/** Parse iptables-save output. Pure; unknown lines are ignored (comments, counters, COMMIT). */
export function parseIptablesSave(text: string): Map<string, SavedTable> {
  const tables = new Map<string, SavedTable>();
  let current: SavedTable | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('*')) {
      current = { name: line.slice(1), chains: new Map() };
      tables.set(current.name, current);
    } else if (current === undefined) {
      continue;
    } else if (line.startsWith(':')) {
      const [name = '', policy = '-'] = line.slice(1).split(/\s+/);
      current.chains.set(name, { name, policy: policy === '-' ? undefined : policy, rules: [] });
    } else if (line.startsWith('-A ')) {
      const rest = line.slice(3);
      const sp = rest.indexOf(' ');
      const chain = sp < 0 ? rest : rest.slice(0, sp);
      const rule = sp < 0 ? '' : rest.slice(sp + 1);
      let c = current.chains.get(chain);
      if (c === undefined) {
        c = { name: chain, policy: undefined, rules: [] };
        current.chains.set(chain, c);
      }
      c.rules.push(rule);
    }
  }
  return tables;
}

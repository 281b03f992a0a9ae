// ipset adapter: `ipset restore` writes a whole batch in one exec, `ipset save` reads back. Sets
// are per network namespace, like routes and iptables. With `exist`, create/add/del of something
// already in that state is not an error, which makes a replayed batch harmless.

import { batchLine } from './batch-line.js';
import type { NetnsOption } from './ip.js';
import type { Runner } from './runner.js';

export interface IpsetRestoreOptions extends NetnsOption {
  readonly exist?: boolean;
}

export async function ipsetRestore(run: Runner, lines: readonly string[], opts: IpsetRestoreOptions = {}): Promise<void> {
  if (lines.length === 0) return;
  const argv = ['ipset', ...(opts.exist === true ? ['-exist'] : []), 'restore'];
  await run({ argv, input: lines.join('\n') + '\n', netns: opts.netns });
}

/** A restore line from tokens, refusing anything that could split or comment out the line. */
export const ipsetLine = batchLine;

export async function ipsetSave(run: Runner, opts: NetnsOption & { name?: string } = {}): Promise<string> {
  const r = await run({ argv: ['ipset', 'save', ...(opts.name !== undefined ? [opts.name] : [])], netns: opts.netns });
  return r.stdout;
}

export interface SavedSet {
  readonly name: string;
  readonly type: string;
  /** The create line's options after the type, e.g. ["family", "inet", "hashsize", "1024"]. */
  readonly options: readonly string[];
  readonly members: string[];
}

/** Parse `ipset save` output. Pure. */
export function parseIpsetSave(text: string): Map<string, SavedSet> {
  const sets = new Map<string, SavedSet>();
  for (const raw of text.split('\n')) {
    const [verb, name, ...rest] = raw.trim().split(/\s+/);
    if (name === undefined) continue;
    if (verb === 'create') {
      const [type = '', ...options] = rest;
      sets.set(name, { name, type, options, members: [] });
    } else if (verb === 'add') {
      // A member may carry options after it (timeout, nomatch); keep the member and its options.
      sets.get(name)?.members.push(rest.join(' '));
    }
  }
  return sets;
}

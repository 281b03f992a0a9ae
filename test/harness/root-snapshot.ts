// A read-only picture of the root namespace (links, addresses, routes, iptables, ipsets), taken
// before and after kernel tests to prove they changed nothing there. Reads only; never writes.

import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, expect } from 'vitest';

function read(argv: string[]): string {
  try {
    return execFileSync(argv[0] as string, argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return '';
  }
}

export interface RootSnapshot {
  readonly links: string;
  readonly addresses: string;
  readonly routes: string;
  readonly iptables: string;
  readonly ipsets: string;
}

export function rootSnapshot(): RootSnapshot {
  return {
    // Names and kinds only: counters and operstate of real uplinks change on their own.
    links: read(['ip', '-o', 'link', 'show'])
      .split('\n')
      .map((l) => l.split(':').slice(0, 2).join(':'))
      .join('\n'),
    addresses: read(['ip', '-o', 'addr', 'show'])
      .split('\n')
      .map((l) => l.replace(/\s+valid_lft.*$/, ''))
      .join('\n'),
    routes: read(['ip', 'route', 'show', 'table', 'all']),
    // Without counters (-c is not passed) and without the timestamp comments.
    iptables: read(['iptables-save']).replace(/^#.*\n/gm, ''),
    ipsets: read(['ipset', 'list', '-n']),
  };
}

/**
 * For a kernel test file: snapshot the root namespace before the file's tests and assert it is
 * unchanged after them.
 */
export function guardRootNamespace(): void {
  let before: RootSnapshot | undefined;
  beforeAll(() => {
    before = rootSnapshot();
  });
  afterAll(() => {
    expect(rootSnapshot()).toEqual(before);
  });
}

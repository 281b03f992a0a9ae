// A read-only picture of the root namespace (links, addresses, routes, policy routing rules,
// iptables and ip6tables, ipsets, forwarding sysctls), taken before and after each kernel test
// file to prove it changed nothing there. Reads only; never writes.
//
// Test files run in parallel, so a snapshot holds only what no test may change in the root
// namespace at all, and leaves out what the system changes on its own while tests run: interface
// counters and operstate, address and route lifetimes, IPv6 privacy addresses and router
// advertisement routes (which come and go with the network), and conntrack.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { relative, sep } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';

function read(argv: string[], netns?: string): string {
  const full = netns === undefined ? argv : ['ip', 'netns', 'exec', netns, ...argv];
  try {
    return execFileSync(full[0] as string, full.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    // Not root (iptables-save, ipset) or the tool is missing: the same on both sides.
    return '';
  }
}

function lines(text: string, keep: (line: string) => boolean, map: (line: string) => string = (l) => l): string {
  return text
    .split('\n')
    .filter((l) => l !== '' && keep(l))
    .map(map)
    .join('\n');
}

/** The sysctls a test would set to route or proxy, read in this (the root) namespace. */
export const GUARDED_SYSCTLS = ['net.ipv4.ip_forward', 'net.ipv6.conf.all.forwarding', 'net.ipv4.conf.all.rp_filter', 'net.ipv4.conf.all.proxy_arp'] as const;

// /proc/sys/net shows the namespace of the process that reads it.
function sysctl(name: string, netns?: string): string {
  const file = `/proc/sys/${name.replaceAll('.', '/')}`;
  if (netns !== undefined) return read(['cat', file], netns).trim() || '(unreadable)';
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '(unreadable)';
  }
}

export interface RootSnapshot {
  readonly links: string;
  readonly addresses: string;
  readonly routes4: string;
  readonly routes6: string;
  readonly rules4: string;
  readonly rules6: string;
  readonly iptables: string;
  readonly ip6tables: string;
  readonly ipsets: string;
  readonly sysctls: string;
}

const all = (): boolean => true;
const noLifetime = (l: string): string => l.replace(/\s+valid_lft.*$/, '').replace(/\s+expires \d+sec/, '');

export function rootSnapshot(): RootSnapshot {
  return namespaceSnapshot(undefined);
}

/** The same picture of a named namespace (`undefined`: this process's, the root namespace). */
export function namespaceSnapshot(netns: string | undefined): RootSnapshot {
  const r = (argv: string[]): string => read(argv, netns);
  return {
    // Index, name and kind only: counters and operstate of real uplinks change on their own.
    links: lines(r(['ip', '-o', 'link', 'show']), all, (l) => l.split(':').slice(0, 2).join(':')),
    addresses: lines(r(['ip', '-o', 'addr', 'show']), (l) => !/\stemporary\b/.test(l), noLifetime),
    routes4: lines(r(['ip', '-4', 'route', 'show', 'table', 'all']), all, noLifetime),
    routes6: lines(r(['ip', '-6', 'route', 'show', 'table', 'all']), (l) => !/\sproto ra\b/.test(l), noLifetime),
    rules4: r(['ip', '-4', 'rule', 'show']),
    rules6: r(['ip', '-6', 'rule', 'show']),
    // Without counters (-c is not passed) and without the timestamp comments.
    iptables: r(['iptables-save']).replace(/^#.*\n/gm, ''),
    ip6tables: r(['ip6tables-save']).replace(/^#.*\n/gm, ''),
    ipsets: r(['ipset', 'list', '-n']),
    sysctls: GUARDED_SYSCTLS.map((s) => `${s} = ${sysctl(s, netns)}`).join('\n'),
  };
}

/** The parts of the root namespace that differ between two snapshots. */
export function changedParts(before: RootSnapshot, after: RootSnapshot): (keyof RootSnapshot)[] {
  return (Object.keys(before) as (keyof RootSnapshot)[]).filter((k) => before[k] !== after[k]);
}

const REPO = new URL('../..', import.meta.url).pathname;
/** Folders under test/ whose files run against the kernel. */
export const KERNEL_TEST_DIRS = ['netns', 'interop', 'lab', 'e2e'] as const;

export function isKernelTestFile(file: string): boolean {
  const parts = relative(REPO, file).split(sep);
  return parts[0] === 'test' && (KERNEL_TEST_DIRS as readonly string[]).includes(parts[1] ?? '');
}

const guarded = new Set<string>();

/** Whether this worker's root-namespace guard covers `file` (its snapshot was taken). */
export function isGuarded(file: string): boolean {
  return guarded.has(file);
}

/**
 * Snapshot the root namespace before a test file's tests and assert it is unchanged after them
 * (and after the file's own afterAll hooks, which vitest runs first). `test/harness/kernel-setup.ts`
 * calls this for every file in a kernel test folder, so test files do not.
 */
export function guardRootNamespace(applies: (file: string) => boolean = all): void {
  let before: RootSnapshot | undefined;
  beforeAll((suite) => {
    if (!applies(suite.file.filepath)) return;
    before = rootSnapshot();
    guarded.add(suite.file.filepath);
  });
  afterAll(() => {
    if (before === undefined) return;
    const after = rootSnapshot();
    const changed = changedParts(before, after);
    const shown = Object.fromEntries(changed.map((k) => [k, after[k]]));
    const was = Object.fromEntries(changed.map((k) => [k, before?.[k]]));
    expect(shown, `this test file changed the root namespace's ${changed.join(', ')}`).toEqual(was);
  });
}

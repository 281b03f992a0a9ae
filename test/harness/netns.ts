// A throw-away world of network namespaces for tests that need the kernel.
//
// Invariants:
// - Nothing is created in the root namespace. Links are made inside a namespace and their peer
//   is moved straight into another (`ip -n A link add X type veth peer name Y netns B`), so even
//   a veth never exists in the root namespace for an instant. Addresses, routes and sysctls are
//   only ever set with -n / inside a namespace of ours.
// - Every namespace is named mt-<owner pid>-<world>-<seq>-<role>, so what a test made is recognisable,
//   and what a killed test left behind is found by sweepStale() (global-setup.ts) by its dead
//   owner PID.
// - Processes are ended by PID (their own process group, made with detached spawn), never by
//   name. Before a namespace is deleted, whatever still runs inside it is killed: only processes
//   we started can be in a namespace we made.
// - Cleanup runs on success (cleanup()), on failure (withWorld's finally), on SIGINT/SIGTERM and
//   on process exit (cleanupSync()).

import { execFileSync } from 'node:child_process';
import { execRunner } from '../../src/net/exec.js';
import { ipBatch } from '../../src/net/ip.js';
import type { RunResult } from '../../src/net/runner.js';
import { sysctlSet } from '../../src/net/sysctl.js';
import { registerCleanup, spawnTracked, stopProc, unregisterCleanup, type Proc, type SpawnOptions } from './procs.js';

export type { Proc, SpawnOptions } from './procs.js';

export const NETNS_PREFIX = 'mt-';
const OWNED = /^mt-(\d+)-\d+-\d+-/;

export function requireRoot(): void {
  if (process.getuid?.() !== 0) {
    throw new Error('kernel tests need root (network namespaces); run the suite as root, as CI does');
  }
}

export interface Netns {
  readonly name: string;
  readonly role: string;
}

export interface Bridge {
  readonly ns: Netns;
  readonly name: string;
}

export interface ExecOptions {
  readonly input?: string;
  readonly okExitCodes?: readonly number[];
  readonly timeoutMs?: number;
}

export interface LinkOptions {
  readonly nameA?: string;
  readonly nameB?: string;
  /** Addresses with prefix length, e.g. "10.0.0.1/24" or ["10.0.0.1/24", "fd00::1/64"]. */
  readonly addrA?: string | readonly string[];
  readonly addrB?: string | readonly string[];
  readonly mtu?: number;
}

function addrLines(dev: string, addrs: string | readonly string[] | undefined): string[] {
  const list = addrs === undefined ? [] : typeof addrs === 'string' ? [addrs] : addrs;
  // nodad: an IPv6 address is usable at once instead of after ~1 s of duplicate detection.
  return list.map((a) => `addr add ${a} dev ${dev}${a.includes(':') ? ' nodad' : ''}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function nsPidsSync(name: string): number[] {
  try {
    return execFileSync('ip', ['netns', 'pids', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split(/\s+/)
      .filter((s) => s !== '')
      .map(Number);
  } catch {
    return [];
  }
}

/** Kill what runs inside our namespace, then delete it. Synchronous so signal and exit handlers can use it. */
function deleteNetnsSync(name: string): void {
  for (const pid of nsPidsSync(name)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  try {
    execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
  } catch {
    // already gone
  }
}

export function listNetns(): string[] {
  const out = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n !== '');
}

/** Delete namespaces left by test processes that died without cleaning up. Returns their names. */
export function sweepStale(): string[] {
  const swept: string[] = [];
  for (const name of listNetns()) {
    const m = OWNED.exec(name);
    if (m?.[1] === undefined) continue;
    if (alive(Number(m[1]))) continue;
    deleteNetnsSync(name);
    swept.push(name);
  }
  return swept;
}

let worldSeq = 0;

export class World {
  private readonly namespaces: Netns[] = [];
  private readonly procs: Proc[] = [];
  private readonly cleanups: (() => void)[] = [];
  private readonly ifCount = new Map<string, number>();
  private readonly id: number;
  private seq = 0;
  private closed = false;

  constructor() {
    requireRoot();
    this.id = ++worldSeq;
    registerCleanup(this);
  }

  /** Namespaces this world made, still present. */
  get netnsNames(): string[] {
    return this.namespaces.map((n) => n.name);
  }

  async netns(role: string): Promise<Netns> {
    if (!/^[a-z0-9]{1,16}$/.test(role)) throw new Error(`role ${JSON.stringify(role)}: use 1-16 lowercase letters/digits`);
    const ns: Netns = { name: `${NETNS_PREFIX}${process.pid}-${this.id}-${++this.seq}-${role}`, role };
    // Register before creating, so a failure half-way is still cleaned up.
    this.namespaces.push(ns);
    await execRunner({ argv: ['ip', 'netns', 'add', ns.name] });
    await ipBatch(execRunner, ['link set lo up'], { netns: ns.name });
    return ns;
  }

  private nextIf(ns: Netns, base = 'eth'): string {
    const n = this.ifCount.get(ns.name) ?? 0;
    this.ifCount.set(ns.name, n + 1);
    return `${base}${n}`;
  }

  /** A veth pair between two namespaces, both ends up, with optional addresses. */
  async link(a: Netns, b: Netns, opts: LinkOptions = {}): Promise<{ a: string; b: string }> {
    if (a.name === b.name) throw new Error('a veth link needs two different namespaces');
    const ia = opts.nameA ?? this.nextIf(a);
    const ib = opts.nameB ?? this.nextIf(b);
    const mtu = opts.mtu !== undefined ? ` mtu ${opts.mtu}` : '';
    await ipBatch(execRunner, [`link add ${ia}${mtu} type veth peer name ${ib}${mtu} netns ${b.name}`, ...addrLines(ia, opts.addrA), `link set ${ia} up`], {
      netns: a.name,
    });
    await ipBatch(execRunner, [...addrLines(ib, opts.addrB), `link set ${ib} up`], { netns: b.name });
    return { a: ia, b: ib };
  }

  /** A bridge (an L2 segment) inside `ns`. */
  async bridge(ns: Netns, name = 'br0'): Promise<Bridge> {
    await ipBatch(execRunner, [`link add ${name} type bridge`, `link set ${name} up`], { netns: ns.name });
    return { ns, name };
  }

  /** Plug `host` into a bridge with a veth; returns the interface name inside `host`. */
  async attach(host: Netns, br: Bridge, opts: { addr?: string | readonly string[]; name?: string; mtu?: number } = {}): Promise<string> {
    const { a, b } = await this.link(host, br.ns, {
      ...(opts.name !== undefined ? { nameA: opts.name } : {}),
      ...(opts.addr !== undefined ? { addrA: opts.addr } : {}),
      ...(opts.mtu !== undefined ? { mtu: opts.mtu } : {}),
      nameB: this.nextIf(br.ns, 'p'),
    });
    await ipBatch(execRunner, [`link set ${b} master ${br.name}`], { netns: br.ns.name });
    return a;
  }

  async sysctl(ns: Netns, values: Readonly<Record<string, string | number>>): Promise<void> {
    await sysctlSet(execRunner, values, { netns: ns.name });
  }

  /** Run a command to completion inside `ns`; throws ExecError on failure. */
  async exec(ns: Netns, argv: readonly string[], opts: ExecOptions = {}): Promise<RunResult> {
    return execRunner({ argv, netns: ns.name, ...opts });
  }

  /** Start a long-lived process inside `ns`, in its own process group; kept by PID until cleanup. */
  spawn(ns: Netns, argv: readonly string[], opts: SpawnOptions = {}): Proc {
    if (this.closed) throw new Error('world already cleaned up');
    // `ip netns exec` setns()es and then execs the program in place, so the PID we get is the
    // program's own.
    const proc = spawnTracked(['ip', 'netns', 'exec', ns.name, ...argv], opts);
    this.procs.push(proc);
    return proc;
  }

  /**
   * Run `fn` at cleanup, after the processes are stopped and before the namespaces go (e.g. remove
   * a daemon's state dir). Synchronous, so the signal/exit path can run it too.
   */
  onCleanup(fn: () => void): void {
    if (this.closed) throw new Error('world already cleaned up');
    this.cleanups.push(fn);
  }

  private runCleanups(errors: unknown[]): void {
    for (const fn of this.cleanups.splice(0).reverse()) {
      try {
        fn();
      } catch (e) {
        errors.push(e);
      }
    }
  }

  /** Stop processes (TERM, then KILL after 3 s), then delete namespaces. Tries everything, then reports. */
  async cleanup(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const errors: unknown[] = [];
    await Promise.all(this.procs.map((p) => stopProc(p).catch((e: unknown) => errors.push(e))));
    this.runCleanups(errors);
    for (const ns of [...this.namespaces].reverse()) {
      try {
        deleteNetnsSync(ns.name);
      } catch (e) {
        errors.push(e);
      }
    }
    const left = listNetns().filter((n) => this.namespaces.some((ns) => ns.name === n));
    if (left.length > 0) errors.push(new Error(`namespaces left behind: ${left.join(', ')}`));
    this.namespaces.length = 0;
    unregisterCleanup(this);
    if (errors.length > 0) throw new AggregateError(errors, 'world cleanup failed');
  }

  /** Last-resort cleanup from signal and exit handlers, where nothing asynchronous runs. */
  cleanupSync(): void {
    this.closed = true;
    for (const p of this.procs) p.kill('SIGKILL');
    this.runCleanups([]);
    for (const ns of [...this.namespaces].reverse()) deleteNetnsSync(ns.name);
    this.namespaces.length = 0;
    unregisterCleanup(this);
  }
}

/** Run `fn` with a fresh world and always clean it up, whether `fn` passes, fails or throws. */
export async function withWorld<T>(fn: (w: World) => Promise<T>): Promise<T> {
  const w = new World();
  try {
    return await fn(w);
  } finally {
    await w.cleanup();
  }
}

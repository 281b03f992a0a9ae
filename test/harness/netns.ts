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

import { execFileSync, spawn as spawnChild, type ChildProcess } from 'node:child_process';
import { execRunner } from '../../src/net/exec.js';
import { ipBatch } from '../../src/net/ip.js';
import type { RunResult } from '../../src/net/runner.js';
import { sysctlSet } from '../../src/net/sysctl.js';
import { withTimeout } from './wait.js';

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

export interface SpawnOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

export interface Proc {
  readonly pid: number;
  readonly argv: readonly string[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** stdout and stderr so far (the last 256 KiB of each). */
  output(): { stdout: string; stderr: string };
  /** Signal the process group. */
  kill(signal?: NodeJS.Signals): void;
}

export interface LinkOptions {
  readonly nameA?: string;
  readonly nameB?: string;
  /** Addresses with prefix length, e.g. "10.0.0.1/24" or ["10.0.0.1/24", "fd00::1/64"]. */
  readonly addrA?: string | readonly string[];
  readonly addrB?: string | readonly string[];
  readonly mtu?: number;
}

const KEEP_OUTPUT = 256 * 1024;

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

const liveWorlds = new Set<World>();
let handlersInstalled = false;

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', () => {
    for (const w of liveWorlds) w.cleanupSync();
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      for (const w of liveWorlds) w.cleanupSync();
      // Die of the same signal, so whoever sent it sees the usual status.
      process.kill(process.pid, sig);
    });
  }
}

let worldSeq = 0;

export class World {
  private readonly namespaces: Netns[] = [];
  private readonly procs: (Proc & { child: ChildProcess })[] = [];
  private readonly ifCount = new Map<string, number>();
  private readonly id: number;
  private seq = 0;
  private closed = false;

  constructor() {
    requireRoot();
    this.id = ++worldSeq;
    liveWorlds.add(this);
    installHandlers();
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
    const full = ['ip', 'netns', 'exec', ns.name, ...argv];
    const child = spawnChild(full[0] as string, full.slice(1), {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(opts.env !== undefined ? { env: opts.env } : {}),
      ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
    });
    if (child.pid === undefined) throw new Error(`could not start ${argv.join(' ')}`);
    const pid = child.pid;
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => {
      stdout = (stdout + d.toString()).slice(-KEEP_OUTPUT);
    });
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-KEEP_OUTPUT);
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.on('exit', (code, signal) => resolve({ code, signal }));
      child.on('error', () => resolve({ code: null, signal: null }));
    });
    const proc = {
      pid,
      argv,
      exited,
      child,
      output: () => ({ stdout, stderr }),
      kill: (signal: NodeJS.Signals = 'SIGTERM') => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        try {
          process.kill(-pid, signal);
        } catch {
          // group already gone
        }
      },
    };
    this.procs.push(proc);
    return proc;
  }

  /** Stop processes (TERM, then KILL after 3 s), then delete namespaces. Tries everything, then reports. */
  async cleanup(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const errors: unknown[] = [];
    await Promise.all(
      this.procs.map(async (p) => {
        p.kill('SIGTERM');
        try {
          await withTimeout(p.exited, 3000, `pid ${p.pid} to exit`);
        } catch {
          p.kill('SIGKILL');
          await withTimeout(p.exited, 3000, `pid ${p.pid} to die`).catch((e: unknown) => errors.push(e));
        }
      }),
    );
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
    liveWorlds.delete(this);
    if (errors.length > 0) throw new AggregateError(errors, 'world cleanup failed');
  }

  /** Last-resort cleanup from signal and exit handlers, where nothing asynchronous runs. */
  cleanupSync(): void {
    this.closed = true;
    for (const p of this.procs) p.kill('SIGKILL');
    for (const ns of [...this.namespaces].reverse()) deleteNetnsSync(ns.name);
    this.namespaces.length = 0;
    liveWorlds.delete(this);
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

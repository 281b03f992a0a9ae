// Long-lived processes started by tests: each in its own process group (detached), kept by PID,
// with its recent output, and stopped by PID (TERM, then KILL). Never by name.
//
// Every live owner of processes or kernel objects (a netns World, a control plane) registers a
// synchronous last-resort cleanup here; SIGINT/SIGTERM/SIGHUP and process exit run them all, so an
// interrupted test run leaves nothing behind.

import { spawn as spawnChild } from 'node:child_process';
import { withTimeout } from './wait.js';

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
  /** Has it exited? */
  done(): boolean;
}

const KEEP_OUTPUT = 256 * 1024;

export function spawnTracked(argv: readonly string[], opts: SpawnOptions = {}): Proc {
  const [file, ...args] = argv;
  if (file === undefined) throw new Error('empty argv');
  const child = spawnChild(file, args, {
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
  const done = () => child.exitCode !== null || child.signalCode !== null;
  return {
    pid,
    argv,
    exited,
    done,
    output: () => ({ stdout, stderr }),
    kill: (signal: NodeJS.Signals = 'SIGTERM') => {
      if (done()) return;
      try {
        process.kill(-pid, signal);
      } catch {
        // group already gone
      }
    },
  };
}

/** TERM, wait up to `graceMs`, then KILL. Rejects only if the process survives KILL. */
export async function stopProc(p: Proc, graceMs = 3000): Promise<void> {
  p.kill('SIGTERM');
  try {
    await withTimeout(p.exited, graceMs, `pid ${p.pid} to exit`);
  } catch {
    p.kill('SIGKILL');
    await withTimeout(p.exited, 3000, `pid ${p.pid} to die`);
  }
}

export interface SyncCleanup {
  cleanupSync(): void;
}

const owners = new Set<SyncCleanup>();
let installed = false;

/** Run `o.cleanupSync()` on exit and on SIGINT/SIGTERM/SIGHUP until it is unregistered. */
export function registerCleanup(o: SyncCleanup): void {
  owners.add(o);
  if (installed) return;
  installed = true;
  process.on('exit', () => {
    for (const w of owners) w.cleanupSync();
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      for (const w of owners) w.cleanupSync();
      // Die of the same signal, so whoever sent it sees the usual status.
      process.kill(process.pid, sig);
    });
  }
}

export function unregisterCleanup(o: SyncCleanup): void {
  owners.delete(o);
}

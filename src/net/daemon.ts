// Long-lived processes that outlive the command that started them (the lab's agents, routers and
// pod servers): started detached in their own session (so a process group of their own), output
// to a log file, inside a network namespace via `ip netns exec` (which execs in place, so the PID
// we get is the daemon's). A daemon is remembered as PID + start time (field 22 of
// /proc/PID/stat): a later `stop` ends it only if that PID still is the same process, never a
// stranger that reused the number.

import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { wrapNetns } from './runner.js';

export interface DaemonRef {
  readonly pid: number;
  /** Clock ticks since boot when it started; identifies the process together with the PID. */
  readonly startTime: number;
}

export function processStartTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const v = Number(fields[19]);
    return Number.isFinite(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Is this still the process we started (and not a zombie)? */
export function daemonAlive(d: DaemonRef): boolean {
  if (processStartTime(d.pid) !== d.startTime) return false;
  try {
    const state = readFileSync(`/proc/${d.pid}/stat`, 'utf8');
    return state.slice(state.lastIndexOf(')') + 2, state.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export interface StartDaemonOptions {
  readonly netns?: string;
  readonly log: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
}

export function startDaemon(argv: readonly string[], opts: StartDaemonOptions): DaemonRef {
  const full = wrapNetns(argv, opts.netns);
  const [file, ...args] = full;
  if (file === undefined) throw new Error('empty command');
  const fd = openSync(opts.log, 'a');
  try {
    const child = spawn(file, args, {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin', ...opts.env },
      ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
    });
    if (child.pid === undefined) throw new Error(`cannot start ${argv.join(' ')}`);
    child.unref();
    const startTime = processStartTime(child.pid);
    if (startTime === undefined) throw new Error(`${argv.join(' ')} exited at once; see ${opts.log}`);
    return { pid: child.pid, startTime };
  } finally {
    closeSync(fd);
  }
}

function signalGroup(d: DaemonRef, sig: NodeJS.Signals): void {
  try {
    process.kill(-d.pid, sig);
  } catch {
    try {
      process.kill(d.pid, sig);
    } catch {
      // Gone.
    }
  }
}

/** SIGTERM its process group, SIGKILL after `graceMs`; nothing if it is no longer our process. */
export async function stopDaemon(d: DaemonRef, graceMs = 3000): Promise<void> {
  if (!daemonAlive(d)) return;
  signalGroup(d, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!daemonAlive(d)) return;
    await sleep(25);
  }
  if (daemonAlive(d)) signalGroup(d, 'SIGKILL');
  for (let i = 0; i < 40 && daemonAlive(d); i++) await sleep(25);
}

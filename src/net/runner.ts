// The port through which every kernel tool is run. Adapters in src/net build `Command` values and
// hand them to a `Runner`; the agent passes the real one (exec.ts), tests pass a fake
// (fake-runner.ts). A Command is plain data, so a batch can be printed, compared and replayed.

import { MeridianError } from '../errors.js';

export interface Command {
  /** Program and arguments, without any namespace wrapper. */
  readonly argv: readonly string[];
  /** Written to the program's stdin (batches: `ip -batch -`, `ipset restore`, `iptables-restore`). */
  readonly input?: string;
  /**
   * Network namespace to run in: a name under /run/netns (as `ip netns add` makes) or a path such as
   * /proc/PID/ns/net or /var/run/netns/cni-UUID (what a CNI runtime passes). Absent: the caller's own.
   */
  readonly netns?: string;
  /** Exit codes that count as success besides 0 (conntrack -D exits 1 when nothing matched). */
  readonly okExitCodes?: readonly number[];
  readonly timeoutMs?: number;
}

export interface RunResult {
  /** The argv actually executed, namespace wrapper included. */
  readonly argv: readonly string[];
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

export type Runner = (cmd: Command) => Promise<RunResult>;

/** A kernel tool failed: carries what ran, how it ended and what it said. */
export class ExecError extends MeridianError {
  readonly code = 'EXEC_FAILED';
  readonly argv: readonly string[];
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
  readonly stderr: string;

  constructor(opts: {
    argv: readonly string[];
    exitCode?: number | undefined;
    signal?: string | undefined;
    stderr: string;
    reason?: string;
    cause?: unknown;
  }) {
    const how =
      opts.reason ??
      (opts.signal !== undefined ? `killed by ${opts.signal}` : `exited ${String(opts.exitCode)}`);
    const said = opts.stderr.trim();
    super(`${opts.argv.join(' ')}: ${how}${said ? `: ${said}` : ''}`, { cause: opts.cause });
    this.argv = opts.argv;
    this.exitCode = opts.exitCode;
    this.signal = opts.signal;
    this.stderr = opts.stderr;
  }
}

/** Is this a namespace given by path (CNI_NETNS, /proc/PID/ns/net) rather than by name? */
function isNetnsPath(netns: string): boolean {
  return netns.includes('/');
}

/**
 * The argv that runs `argv` inside `netns`. A named namespace goes through `ip netns exec` (which
 * also remounts /sys for that namespace, so tools reading /sys/class/net see its links); a path
 * goes through nsenter, which `ip netns exec` cannot take.
 */
export function wrapNetns(argv: readonly string[], netns: string | undefined): readonly string[] {
  if (netns === undefined) return argv;
  if (netns.length === 0) throw new Error('empty network namespace name');
  return isNetnsPath(netns)
    ? ['nsenter', `--net=${netns}`, '--', ...argv]
    : ['ip', 'netns', 'exec', netns, ...argv];
}

/**
 * `ip` addresses a namespace itself with `-n NAME` (one exec instead of two); a path still needs
 * nsenter.
 */
export function ipArgv(args: readonly string[], netns: string | undefined): Command {
  if (netns !== undefined && !isNetnsPath(netns)) return { argv: ['ip', '-n', netns, ...args] };
  return { argv: ['ip', ...args], ...(netns !== undefined ? { netns } : {}) };
}

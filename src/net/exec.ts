// The real Runner: runs a Command with execa. Never goes through a shell, so no argument is ever
// interpreted; non-zero exits become an ExecError carrying argv, exit code and stderr.

import { execa } from 'execa';
import { ExecError, wrapNetns, type Command, type RunResult, type Runner } from './runner.js';

const DEFAULT_TIMEOUT_MS = 30_000;

export const execRunner: Runner = async (cmd: Command): Promise<RunResult> => {
  const argv = wrapNetns(cmd.argv, cmd.netns);
  const [file, ...args] = argv;
  if (file === undefined) throw new Error('empty command');
  const r = await execa(file, args, {
    reject: false,
    ...(cmd.input !== undefined ? { input: cmd.input } : { stdin: 'ignore' }),
    timeout: cmd.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    stripFinalNewline: false,
    // Kernel tools print errors in English only when told; our tests and users grep them.
    env: { LC_ALL: 'C' },
  });
  const stdout = typeof r.stdout === 'string' ? r.stdout : '';
  const stderr = typeof r.stderr === 'string' ? r.stderr : '';
  if (r.exitCode === undefined) {
    // Spawn failure (ENOENT, EACCES), timeout or signal: there is no exit code to report.
    throw new ExecError({
      argv,
      signal: r.signal,
      stderr,
      reason: r.timedOut ? `timed out after ${cmd.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms` : r.shortMessage,
      cause: r.cause,
    });
  }
  if (r.exitCode !== 0 && !(cmd.okExitCodes ?? []).includes(r.exitCode)) {
    throw new ExecError({ argv, exitCode: r.exitCode, stderr });
  }
  return { argv, stdout, stderr, exitCode: r.exitCode };
};

// A Runner for tests: records every Command and answers from a handler, so adapters and the
// orchestrators above them are tested without a kernel. The handler sees the unwrapped Command;
// what it returns (or throws) is what the adapter gets.

import { ExecError, wrapNetns, type Command, type RunResult, type Runner } from './runner.js';

export interface FakeReply {
  stdout?: string;
  stderr?: string;
  exitCode?: number;
}

export type FakeHandler = (cmd: Command) => FakeReply | undefined;

export interface FakeRunner {
  readonly run: Runner;
  /** Every command run so far, in order. */
  readonly calls: Command[];
}

export function fakeRunner(handler: FakeHandler = () => undefined): FakeRunner {
  const calls: Command[] = [];
  const run: Runner = async (cmd) => {
    calls.push(cmd);
    const reply = handler(cmd) ?? {};
    const argv = wrapNetns(cmd.argv, cmd.netns);
    const exitCode = reply.exitCode ?? 0;
    const result: RunResult = { argv, stdout: reply.stdout ?? '', stderr: reply.stderr ?? '', exitCode };
    if (exitCode !== 0 && !(cmd.okExitCodes ?? []).includes(exitCode)) {
      throw new ExecError({ argv, exitCode, stderr: result.stderr });
    }
    return result;
  };
  return { run, calls };
}

// The plugin's opt-in self-timing: overlapping execs count once, and the line is parseable JSON.

import { describe, expect, it } from 'vitest';
import { selfTiming } from '../../src/cni/self-timing.js';
import type { Command, RunResult } from '../../src/net/runner.js';

describe('selfTiming', () => {
  it('reports boot, work, exec wall time (overlapping execs once) and the exec count', async () => {
    let t = 10;
    const gates: (() => void)[] = [];
    const run = (cmd: Command): Promise<RunResult> =>
      new Promise((res) => gates.push(() => res({ argv: cmd.argv, stdout: '', stderr: '', exitCode: 0 })));
    const timing = selfTiming(run, 10, () => t);
    const a = timing.run({ argv: ['ip', 'a'] }); // busy from 10
    t = 12;
    const b = timing.run({ argv: ['ip', 'b'] });
    t = 15;
    gates[0]?.();
    await a;
    t = 17;
    gates[1]?.();
    await b; // idle at 17: 7 ms busy
    t = 30;
    const line = timing.line();
    expect(line).toMatch(/^meridian-cni timing \{.*\}\n$/);
    expect(JSON.parse(line.slice('meridian-cni timing '.length))).toEqual({ bootMs: 10, workMs: 20, execMs: 7, execs: 2 });
  });
});

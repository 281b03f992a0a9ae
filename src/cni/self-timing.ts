// Opt-in self-timing, for bench/cni-latency.mjs to split an exec's wall time into Node start,
// the plugin's own work and the kernel tools it runs. With MERIDIAN_CNI_TIMING=1 in its
// environment the plugin prints one line to stderr at exit:
//   meridian-cni timing {"bootMs":…,"workMs":…,"execMs":…,"execs":…}
// bootMs: process start to the first line of main (Node bootstrap + loading the bundle), read from
// performance.now(), whose origin is the process start. workMs: main to the answer. execMs: the
// wall time during which at least one kernel tool was running (overlapping execs count once).
// stdout is untouched, so runtimes and the result JSON are unaffected.

import type { Runner } from '../net/runner.js';

export const TIMING_ENV = 'MERIDIAN_CNI_TIMING';

export interface SelfTiming {
  readonly run: Runner;
  /** The stderr line, taken when the answer is written. */
  line(): string;
}

export function selfTiming(run: Runner, bootMs: number, now: () => number): SelfTiming {
  let execs = 0;
  let inFlight = 0;
  let busySince = 0;
  let execMs = 0;
  return {
    run: async (cmd) => {
      execs++;
      if (inFlight++ === 0) busySince = now();
      try {
        return await run(cmd);
      } finally {
        if (--inFlight === 0) execMs += now() - busySince;
      }
    },
    line: () => {
      const r = (x: number): number => Math.round(x * 100) / 100;
      return `meridian-cni timing ${JSON.stringify({ bootMs: r(bootMs), workMs: r(now() - bootMs), execMs: r(execMs), execs })}\n`;
    },
  };
}

// Watches for "nothing flaps" assertions in interop tests: poll a set of prefixes every 50 ms and
// record every poll where one was missing, until stopped.

import { kernelPrefixes } from './kernel-routes.js';

export interface Watch {
  /** Stop polling; resolves with the polls that missed something ("t+ms: prefixes"). */
  stop(): Promise<string[]>;
  readonly polls: () => number;
}

/** Poll `probe` (the set of prefixes present now) every `intervalMs` and record what was missing. */
export function watchPresent(probe: () => Promise<ReadonlySet<string> | ReadonlyMap<string, unknown>>, want: readonly string[], intervalMs = 50): Watch {
  const misses: string[] = [];
  const t0 = Date.now();
  let n = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const have = await probe();
      n++;
      const missing = want.filter((p) => !have.has(p));
      if (missing.length > 0) misses.push(`t+${Date.now() - t0}ms: ${missing.length} missing (${missing.slice(0, 3).join(', ')})`);
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  return {
    polls: () => n,
    async stop() {
      running = false;
      await loop;
      return misses;
    },
  };
}

/** Meridian's (protocol 180) kernel routes of one family in a namespace, polled every 50 ms. */
export function watchKernel(ns: string, family: 4 | 6, want: readonly string[]): Watch {
  return watchPresent(() => kernelPrefixes(ns, family), want);
}

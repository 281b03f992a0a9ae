// Wait for a condition by polling it, with a hard timeout that names what never happened: objects
// the API server settles asynchronously (a CRD becoming Established, the server becoming ready).
// The tests' waitFor (test/harness/wait.ts) is this function.

import { setTimeout as sleep } from 'node:timers/promises';
import { MeridianError } from '../errors.js';

export interface PollOptions {
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  /** Shown in the timeout error: "timed out after 5000 ms waiting for <what>". */
  readonly what: string;
}

export class PollTimeoutError extends MeridianError {
  readonly code = 'WAIT_TIMEOUT';
}

/**
 * Call `probe` every `intervalMs` (default 50) until it returns something other than
 * undefined/false, and return that. A probe that throws counts as "not yet"; its last error is
 * reported on timeout.
 */
export async function pollUntil<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, o: PollOptions): Promise<T> {
  const deadline = Date.now() + o.timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
      last = undefined;
    } catch (e) {
      last = e;
    }
    if (Date.now() >= deadline) {
      const why = last instanceof Error ? `; last error: ${last.message}` : '';
      throw new PollTimeoutError(`timed out after ${o.timeoutMs} ms waiting for ${o.what}${why}`, { cause: last });
    }
    await sleep(o.intervalMs ?? 50);
  }
}

// Wait-for helpers with hard timeouts: every wait in the tests names what it waits for, so a
// timeout says what never happened and what the probe last reported. waitFor is the product's
// pollUntil (src/k8s/poll.ts).

export { pollUntil as waitFor, PollTimeoutError as WaitTimeoutError, type PollOptions as WaitOptions } from '../../src/k8s/poll.js';
import { PollTimeoutError as WaitTimeoutError } from '../../src/k8s/poll.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resolve with `p`, or reject after `ms` naming `what`. */
export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new WaitTimeoutError(`timed out after ${ms} ms waiting for ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

// Retry delays for list/watch after a failure: exponential with jitter, as client-go's reflector
// does (800 ms doubling to 30 s there), so a restarting API server is not hit by every node at
// the same instant. Pure: the random source is an argument.

export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
  /** Each attempt is delayed by up to this fraction more (0 = none). */
  readonly jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 10_000, jitter: 0.2 };

/** Delay before retry number `attempt` (0 = the first retry). */
export function backoffDelay(attempt: number, opts: BackoffOptions, random: () => number = Math.random): number {
  const base = Math.min(opts.maxMs, opts.initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(base * (1 + opts.jitter * random()));
}

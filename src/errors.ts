// The one base class for Meridian's errors. Every error carries a stable `code` so callers branch
// on data, never on message text; each subclass is mapped to an exit code, a CNI error JSON or a
// BGP NOTIFICATION in exactly one place (src/cli/exit.ts, src/cni/skel.ts, src/bgp).

export abstract class MeridianError extends Error {
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Exhaustiveness guard for discriminated unions: a new variant fails the build where unhandled. */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}

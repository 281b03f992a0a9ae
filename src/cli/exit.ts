// The one place an error becomes an exit status and a message for `meridian`.
//   0 success, 1 failure at run time, 2 bad input (config, arguments, manifests).

import { CommanderError } from 'commander';
import { ConfigError } from '../agent/config.js';
import { ManifestDirError } from '../k8s/manifests-dir.js';
import { ExecError } from '../net/runner.js';
import { LabInputError } from '../lab/errors.js';
import { PolicyQueryError } from '../policy/explain.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export function exitCodeFor(e: unknown): number {
  if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  if (e instanceof ConfigError) return EXIT_USAGE;
  if (e instanceof PolicyQueryError || e instanceof ManifestDirError || e instanceof LabInputError) return EXIT_USAGE;
  return EXIT_FAILURE;
}

/** What to print on stderr, or undefined when the error printed itself (commander). */
export function messageFor(e: unknown): string | undefined {
  if (e instanceof CommanderError) return undefined;
  if (e instanceof ConfigError) return e.message;
  if (e instanceof ExecError) return `error: ${e.message}`;
  if (e instanceof Error) return `error: ${e.message}`;
  return `error: ${String(e)}`;
}

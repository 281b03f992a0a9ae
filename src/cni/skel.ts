// The plugin skeleton: env + stdin in, one JSON document out, exit status. Results go to stdout;
// errors go to stdout too as the spec's error JSON (libcni parses stdout and only falls back to
// stderr when stdout is empty); diagnostics go to stderr. This is the one place a CniError
// becomes output.

import { ExecError } from '../net/runner.js';
import { CNI_CODES, CniError } from './errors.js';
import { CNI_VERBS, parseRequest, type CniRequest, type CniVerb } from './request.js';
import { CURRENT_CNI_VERSION, SUPPORTED_CNI_VERSIONS, versionInfo } from './version.js';

export type CniHandler = (req: CniRequest) => Promise<unknown>;
export type CniHandlers = Partial<Record<Exclude<CniVerb, 'VERSION'>, CniHandler>>;

export interface SkelIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readStdin: () => string;
  readonly writeStdout: (s: string) => void;
  readonly writeStderr: (s: string) => void;
}

/** Runs one invocation and returns the process exit status. */
export async function runSkel(handlers: CniHandlers, io: SkelIo): Promise<number> {
  let cniVersion = CURRENT_CNI_VERSION;
  let stdin: string | undefined;
  let stdinTried = false;
  const readStdin = (): string => {
    stdinTried = true;
    return (stdin ??= io.readStdin());
  };
  try {
    const req = parseRequest(io.env, readStdin);
    if (req.verb === 'VERSION') {
      io.writeStdout(JSON.stringify(versionInfo()) + '\n');
      return 0;
    }
    cniVersion = req.conf.cniVersion;
    const handler = handlers[req.verb];
    if (handler === undefined) {
      throw new CniError(CNI_CODES.invalidEnvironment, `CNI_COMMAND ${req.verb} is not supported by this plugin build`);
    }
    const result = await handler(req);
    if (result !== undefined) io.writeStdout(JSON.stringify(result) + '\n');
    return 0;
  } catch (e) {
    const err = toCniError(e);
    // The error JSON carries the config's version (SPEC.md "Error"). A missing env variable is
    // found before stdin is read; the runtime has written the config all the same, so read it now
    // for its version. Not without a known verb or for VERSION: stdin may then be a terminal.
    if (!stdinTried && takesConfig(io.env['CNI_COMMAND'])) {
      try {
        readStdin();
      } catch {
        // Unreadable: answer in our own version.
      }
    }
    cniVersion = stdin !== undefined ? (configVersion(stdin) ?? cniVersion) : cniVersion;
    io.writeStdout(JSON.stringify(err.toJSON(cniVersion)) + '\n');
    io.writeStderr(`meridian-cni: ${err.message}\n`);
    return 1;
  }
}

/** The one mapping from anything thrown to the spec's error JSON. */
export function toCniError(e: unknown): CniError {
  if (e instanceof CniError) return e;
  if (e instanceof ExecError) {
    return new CniError(CNI_CODES.wiringFailed, `kernel tool failed: ${e.argv.join(' ')}`, e.stderr.trim() || e.message);
  }
  if (e instanceof Error) return new CniError(CNI_CODES.internal, e.message, e.stack ?? '');
  return new CniError(CNI_CODES.internal, String(e));
}

function takesConfig(verb: string | undefined): boolean {
  return CNI_VERBS.some((v) => v === verb && v !== 'VERSION');
}

function configVersion(stdin: string): string | undefined {
  try {
    const v = (JSON.parse(stdin) as { cniVersion?: unknown }).cniVersion;
    return typeof v === 'string' && SUPPORTED_CNI_VERSIONS.includes(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

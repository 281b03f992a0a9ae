// Turns the plugin's environment and stdin into a typed request, or a CniError with the code the
// spec gives (and pkg/skel uses) for each kind of bad input. Pure.

import { parseCniArgs, type PodRef } from './cni-args.js';
import { CNI_CODES, CniError } from './errors.js';
import { compareVersions, SUPPORTED_CNI_VERSIONS } from './version.js';

export const CNI_VERBS = ['ADD', 'DEL', 'CHECK', 'VERSION', 'GC', 'STATUS'] as const;
export type CniVerb = (typeof CNI_VERBS)[number];

export interface NetConf {
  readonly cniVersion: string;
  readonly name: string;
  readonly type: string;
  readonly [key: string]: unknown;
}

export type CniRequest =
  | { readonly verb: 'VERSION' }
  | {
      readonly verb: 'ADD' | 'DEL' | 'CHECK';
      readonly containerId: string;
      /** Absent only on DEL (the spec lets DEL run after the netns is gone). */
      readonly netns: string | undefined;
      readonly ifname: string;
      readonly args: string | undefined;
      /** K8S_POD_NAMESPACE/K8S_POD_NAME from CNI_ARGS; undefined outside Kubernetes. */
      readonly pod: PodRef | undefined;
      readonly path: string | undefined;
      readonly conf: NetConf;
    }
  | { readonly verb: 'GC' | 'STATUS'; readonly path: string | undefined; readonly conf: NetConf };

// pkg/utils: container IDs and network names share this character set.
const ID = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

type Env = Readonly<Record<string, string | undefined>>;

function envVar(env: Env, key: string): string | undefined {
  const v = env[key];
  return v === undefined || v === '' ? undefined : v;
}

export function checkIfname(ifname: string): string {
  // Linux IFNAMSIZ is 16 including the NUL; "/" ":" and whitespace break sysfs and ip(8) parsing.
  if (ifname.length > 15 || ifname === '.' || ifname === '..' || /[/:\s]/.test(ifname)) {
    throw new CniError(CNI_CODES.invalidEnvironment, `CNI_IFNAME ${JSON.stringify(ifname)} is not a valid interface name`);
  }
  return ifname;
}

export function parseNetConf(stdin: string): NetConf {
  let doc: unknown;
  try {
    doc = JSON.parse(stdin);
  } catch (e) {
    throw new CniError(CNI_CODES.decodeFailure, 'network config on stdin is not valid JSON', e instanceof Error ? e.message : '');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new CniError(CNI_CODES.decodeFailure, 'network config on stdin must be a JSON object');
  }
  const o = doc as Record<string, unknown>;
  const { cniVersion, name, type } = o;
  if (typeof cniVersion !== 'string' || cniVersion === '') {
    throw new CniError(CNI_CODES.invalidNetworkConfig, 'network config: cniVersion is required');
  }
  if (!SUPPORTED_CNI_VERSIONS.includes(cniVersion)) {
    throw new CniError(
      CNI_CODES.incompatibleVersion,
      `incompatible CNI version ${cniVersion}`,
      `supported versions: ${SUPPORTED_CNI_VERSIONS.join(', ')}`,
    );
  }
  if (typeof name !== 'string' || !ID.test(name)) {
    throw new CniError(CNI_CODES.invalidNetworkConfig, `network config: name ${JSON.stringify(name)} is not valid`);
  }
  if (typeof type !== 'string' || type === '') {
    throw new CniError(CNI_CODES.invalidNetworkConfig, 'network config: type is required');
  }
  return { ...o, cniVersion, name, type };
}

/**
 * Env variables each verb requires (SPEC.md "Parameters"). CNI_PATH is optional: the spec lists it
 * as optional, and this plugin delegates to nothing (pkg/skel demands it for ADD, CHECK and DEL).
 */
const REQUIRED_ENV: Readonly<Record<Exclude<CniVerb, 'VERSION'>, readonly string[]>> = {
  ADD: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME'],
  CHECK: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME'],
  DEL: ['CNI_CONTAINERID', 'CNI_IFNAME'],
  GC: [],
  STATUS: [],
};

/**
 * Validate env and stdin for one invocation, in pkg/skel's order: missing env variables first
 * (code 4, all of them named), then stdin (5 when unreadable, 6 when not JSON, then the config),
 * then the values of the env variables. So a missing variable is reported as such whatever stdin
 * holds. `readStdin` is called only when the verb needs it.
 */
export function parseRequest(env: Env, readStdin: () => string): CniRequest {
  const verbText = envVar(env, 'CNI_COMMAND');
  if (verbText === undefined) throw new CniError(CNI_CODES.invalidEnvironment, 'required env variables [CNI_COMMAND] missing');
  const verb = CNI_VERBS.find((v) => v === verbText);
  if (verb === undefined) throw new CniError(CNI_CODES.invalidEnvironment, `unknown CNI_COMMAND ${JSON.stringify(verbText)}`);
  // VERSION needs nothing else; skel does not read its stdin either, so a bare
  // `CNI_COMMAND=VERSION meridian-cni` on a terminal answers at once.
  if (verb === 'VERSION') return { verb };
  const missing = REQUIRED_ENV[verb].filter((k) => envVar(env, k) === undefined);
  if (missing.length > 0) {
    throw new CniError(CNI_CODES.invalidEnvironment, `required env variables [${missing.join(',')}] missing`);
  }
  return requestFor(verb, env, parseNetConf(readStdin()));
}

function requestFor(verb: Exclude<CniVerb, 'VERSION'>, env: Env, conf: NetConf): CniRequest {
  const path = envVar(env, 'CNI_PATH');
  if (verb === 'GC' || verb === 'STATUS') {
    if (compareVersions(conf.cniVersion, '1.1.0') < 0) {
      throw new CniError(CNI_CODES.incompatibleVersion, `${verb} needs cniVersion 1.1.0 or newer, config has ${conf.cniVersion}`);
    }
    return { verb, path, conf };
  }
  // Present: parseRequest checked REQUIRED_ENV.
  const containerId = envVar(env, 'CNI_CONTAINERID') as string;
  if (!ID.test(containerId)) {
    throw new CniError(CNI_CODES.invalidEnvironment, `CNI_CONTAINERID ${JSON.stringify(containerId)} has invalid characters`);
  }
  const netns = envVar(env, 'CNI_NETNS');
  const ifname = checkIfname(envVar(env, 'CNI_IFNAME') as string);
  const args = envVar(env, 'CNI_ARGS');
  // DEL must not fail on what ADD would have refused: nothing was wired then, and the IPAM record
  // (not CNI_ARGS) names the veth of whatever was.
  const pod = verb === 'DEL' ? podOrUndefined(args) : parseCniArgs(args).pod;
  return { verb, containerId, netns, ifname, args, pod, path, conf };
}

function podOrUndefined(args: string | undefined): PodRef | undefined {
  try {
    return parseCniArgs(args).pod;
  } catch {
    return undefined;
  }
}

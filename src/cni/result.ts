// CNI results: the shape this plugin builds (1.1.0 field set, internally), conversion to the
// config's version on output, parsing of prevResult in any version we accept, and merging with a
// prevResult from earlier plugins in a chain. Pure.
//
// Differences between versions (SPEC.md, pkg/types/internal/convert.go):
// - 0.3.x/0.4.0: ips[].version ("4"/"6") is required.
// - 1.0.0: ips[].version removed.
// - 1.1.0: interfaces[].mtu/socketPath/pciID and routes[].mtu/advmss/priority/table/scope added.

import type { Dns } from './conf.js';
import { compareVersions } from './version.js';

export interface CniInterface {
  readonly name: string;
  readonly mac?: string;
  readonly mtu?: number;
  readonly sandbox?: string;
  readonly socketPath?: string;
  readonly pciID?: string;
}

export interface CniIpConfig {
  readonly address: string;
  readonly gateway?: string;
  readonly interface?: number;
}

export interface CniRoute {
  readonly dst: string;
  readonly gw?: string;
  readonly mtu?: number;
  readonly advmss?: number;
  readonly priority?: number;
  readonly table?: number;
  readonly scope?: number;
}

/** The version-neutral result; toVersion() renders it for a given cniVersion. */
export interface CniResult {
  readonly interfaces: readonly CniInterface[];
  readonly ips: readonly CniIpConfig[];
  readonly routes: readonly CniRoute[];
  readonly dns?: Dns;
}

const IFACE_11 = ['mtu', 'socketPath', 'pciID'] as const;
const ROUTE_11 = ['mtu', 'advmss', 'priority', 'table', 'scope'] as const;

function omit<T extends object>(o: T, keys: readonly string[]): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (!keys.includes(k) && v !== undefined) out[k] = v;
  return out as T;
}

/** The result JSON object for `cniVersion`. */
export function toVersion(r: CniResult, cniVersion: string): Record<string, unknown> {
  const has11 = compareVersions(cniVersion, '1.1.0') >= 0;
  const pre1 = compareVersions(cniVersion, '1.0.0') < 0;
  return {
    cniVersion,
    interfaces: r.interfaces.map((i) => (has11 ? omit(i, []) : omit(i, IFACE_11))),
    ips: r.ips.map((ip) => (pre1 ? { version: ip.address.includes(':') ? '6' : '4', ...omit(ip, []) } : omit(ip, []))),
    routes: r.routes.map((rt) => (has11 ? omit(rt, []) : omit(rt, ROUTE_11))),
    ...(r.dns !== undefined ? { dns: r.dns } : {}),
  };
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

function pick<T>(o: Record<string, unknown>, fields: Record<string, (v: unknown) => unknown>): T {
  const out: Record<string, unknown> = {};
  for (const [k, f] of Object.entries(fields)) {
    const v = f(o[k]);
    if (v !== undefined) out[k] = v;
  }
  return out as T;
}

/**
 * prevResult as the runtime sent it (any version from 0.3.0 up; libcni converts the cached result
 * to the config version, but tolerate others) -> CniResult. Unknown fields are dropped; entries
 * without the required keys are skipped rather than failing a chain over another plugin's output.
 */
export function parsePrevResult(raw: unknown): CniResult | undefined {
  if (!isObj(raw)) return undefined;
  const list = (k: string): Record<string, unknown>[] => (Array.isArray(raw[k]) ? (raw[k] as unknown[]).filter(isObj) : []);
  const interfaces = list('interfaces')
    .filter((i) => typeof i['name'] === 'string')
    .map((i) => pick<CniInterface>(i, { name: str, mac: str, mtu: num, sandbox: str, socketPath: str, pciID: str }));
  const ips = list('ips')
    .filter((i) => typeof i['address'] === 'string')
    .map((i) => pick<CniIpConfig>(i, { address: str, gateway: str, interface: num }));
  const routes = list('routes')
    .filter((r) => typeof r['dst'] === 'string')
    .map((r) => pick<CniRoute>(r, { dst: str, gw: str, mtu: num, advmss: num, priority: num, table: num, scope: num }));
  const dns = isObj(raw['dns']) && Object.keys(raw['dns']).length > 0 ? (raw['dns'] as Dns) : undefined;
  return { interfaces, ips, routes, ...(dns !== undefined ? { dns } : {}) };
}

/** Append our result to what earlier plugins produced (SPEC.md: a plugin given prevResult outputs it, amended). */
export function mergeResults(prev: CniResult | undefined, ours: CniResult): CniResult {
  if (prev === undefined) return ours;
  const offset = prev.interfaces.length;
  const dns = ours.dns ?? prev.dns;
  return {
    interfaces: [...prev.interfaces, ...ours.interfaces],
    ips: [...prev.ips, ...ours.ips.map((ip) => (ip.interface !== undefined ? { ...ip, interface: ip.interface + offset } : ip))],
    routes: [...prev.routes, ...ours.routes],
    ...(dns !== undefined ? { dns } : {}),
  };
}

/**
 * Our pod interface in a result and the IPs on it (CHECK and DEL read prevResult this way).
 * `netns` undefined (a DEL after the sandbox is gone): the interface in any sandbox.
 */
export function findAttachment(
  r: CniResult,
  ifname: string,
  netns: string | undefined,
): { iface: CniInterface; ips: CniIpConfig[]; hostIface: CniInterface | undefined } | undefined {
  const inSandbox = (i: CniInterface): boolean => (netns === undefined ? (i.sandbox ?? '') !== '' : i.sandbox === netns);
  const idx = r.interfaces.findIndex((i) => i.name === ifname && inSandbox(i));
  const iface = r.interfaces[idx];
  if (iface === undefined) return undefined;
  // ADD lists the host veth right before the pod interface (plan.ts attachmentResult).
  const before = r.interfaces[idx - 1];
  const hostIface = before !== undefined && (before.sandbox === undefined || before.sandbox === '') ? before : undefined;
  return { iface, ips: r.ips.filter((ip) => ip.interface === idx), hostIface };
}

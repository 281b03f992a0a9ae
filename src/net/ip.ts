// iproute2 adapter: `ip -json` reads and `ip -batch -` writes. A write is a list of RouteOp (or raw
// batch lines for links and addresses), rendered by pure functions and applied in one exec, so a
// reconcile is one process no matter how many routes change. ip stops at the first failing line
// and names it ("Command failed -:N"), which ends up in the ExecError's stderr.

import { batchLine } from './batch-line.js';
import { ExecError, ipArgv, type Runner } from './runner.js';

export type Family = 4 | 6;

export interface NetnsOption {
  readonly netns?: string | undefined;
}

/** One next hop of a route; several make an ECMP multipath route. */
export interface NextHop {
  readonly gateway?: string;
  readonly dev?: string;
  /** Gateway is reachable on `dev` without a covering connected route (peer on the same L2). */
  readonly onlink?: boolean;
  readonly weight?: number;
}

export interface RouteSpec {
  readonly dst: string;
  /** unicast (default), blackhole or unreachable. */
  readonly type?: 'unicast' | 'blackhole' | 'unreachable';
  readonly nexthops?: readonly NextHop[];
  readonly protocol?: number | string;
  readonly table?: number;
  readonly metric?: number;
  readonly scope?: 'global' | 'link' | 'host';
  readonly src?: string;
}

export type RouteOp =
  | { readonly type: 'replace'; readonly route: RouteSpec }
  | { readonly type: 'del'; readonly route: RouteSpec };

/** One `ip -batch` line for a route operation. Pure. */
export function renderRouteOp(op: RouteOp): string {
  const r = op.route;
  // No -4/-6: batch lines take no global options; ip infers the family from the prefix.
  const t: (string | number)[] = ['route', op.type];
  if (r.type !== undefined && r.type !== 'unicast') t.push(r.type);
  t.push(r.dst);
  if (r.protocol !== undefined) t.push('proto', r.protocol);
  if (r.table !== undefined) t.push('table', r.table);
  if (r.metric !== undefined) t.push('metric', r.metric);
  if (r.scope !== undefined) t.push('scope', r.scope);
  if (r.src !== undefined) t.push('src', r.src);
  const hops = r.nexthops ?? [];
  if (op.type === 'replace' && hops.length > 1) {
    // ip(8) reads everything after the first `nexthop` as nexthop clauses: they must come last.
    for (const h of hops) {
      t.push('nexthop');
      if (h.gateway !== undefined) t.push('via', h.gateway);
      if (h.dev !== undefined) t.push('dev', h.dev);
      t.push('weight', h.weight ?? 1);
      if (h.onlink === true) t.push('onlink');
    }
  } else if (hops.length > 0) {
    // A delete matches on destination, table and protocol; one hop is enough to name it.
    const h = hops[0];
    if (h?.gateway !== undefined) t.push('via', h.gateway);
    if (h?.dev !== undefined) t.push('dev', h.dev);
    if (op.type === 'replace' && h?.onlink === true) t.push('onlink');
  }
  return batchLine(t);
}

/** Run batch lines in one `ip -batch -`. Nothing to do: no exec. */
export async function ipBatch(run: Runner, lines: readonly string[], opts: NetnsOption = {}): Promise<void> {
  if (lines.length === 0) return;
  await run({ ...ipArgv(['-batch', '-'], opts.netns), input: lines.join('\n') + '\n' });
}

/**
 * Apply route ops in one `ip -force -batch -`. -force: ip goes on past a failing line (and still
 * exits non-zero, naming it), so one route the kernel refuses does not keep every route after it
 * in the batch out of the kernel.
 */
export async function applyRouteOps(run: Runner, ops: readonly RouteOp[], opts: NetnsOption = {}): Promise<void> {
  if (ops.length === 0) return;
  await run({ ...ipArgv(['-force', '-batch', '-'], opts.netns), input: ops.map(renderRouteOp).join('\n') + '\n' });
}

/** `ip -json ARGS`, parsed. ip prints nothing at all for some empty listings. */
export async function ipJson<T>(run: Runner, args: readonly string[], opts: NetnsOption = {}): Promise<T[]> {
  const r = await run(ipArgv(['-json', ...args], opts.netns));
  const text = r.stdout.trim();
  if (text === '') return [];
  return JSON.parse(text) as T[];
}

/** A route as `ip -json route show` prints it (fields we read; ip prints more). */
export interface KernelRoute {
  readonly dst: string;
  readonly type?: string;
  readonly gateway?: string;
  readonly dev?: string;
  readonly protocol?: string;
  readonly scope?: string;
  readonly table?: string;
  readonly metric?: number;
  readonly prefsrc?: string;
  readonly flags: readonly string[];
  readonly nexthops?: readonly { gateway?: string; dev?: string; weight?: number; flags: readonly string[] }[];
}

export interface ListRoutesOptions extends NetnsOption {
  readonly family: Family;
  readonly table?: number | 'all';
  readonly protocol?: number | string;
}

export async function listRoutes(run: Runner, opts: ListRoutesOptions): Promise<KernelRoute[]> {
  const args = [`-${opts.family}`, 'route', 'show'];
  if (opts.table !== undefined) args.push('table', String(opts.table));
  if (opts.protocol !== undefined) args.push('proto', String(opts.protocol));
  return ipJson<KernelRoute>(run, args, opts);
}

export interface KernelLink {
  readonly ifindex: number;
  readonly ifname: string;
  readonly flags: readonly string[];
  readonly mtu: number;
  readonly operstate?: string;
  readonly address?: string;
  readonly link_type?: string;
  readonly master?: string;
  readonly linkinfo?: { readonly info_kind?: string };
}

export async function listLinks(run: Runner, opts: NetnsOption & { detailed?: boolean } = {}): Promise<KernelLink[]> {
  return ipJson<KernelLink>(run, opts.detailed === true ? ['-details', 'link', 'show'] : ['link', 'show'], opts);
}

export interface KernelAddressInfo {
  readonly family: 'inet' | 'inet6';
  readonly local: string;
  readonly prefixlen: number;
  readonly scope: string;
}

export interface KernelLinkAddresses {
  readonly ifname: string;
  readonly addr_info: readonly KernelAddressInfo[];
}

export async function listAddresses(run: Runner, opts: NetnsOption & { dev?: string } = {}): Promise<KernelLinkAddresses[]> {
  return ipJson<KernelLinkAddresses>(run, ['addr', 'show', ...(opts.dev !== undefined ? ['dev', opts.dev] : [])], opts);
}

/**
 * Several reads in one exec: `ip -json -batch -` prints one JSON document per line, in order.
 * With `details`, links carry linkinfo (the kind: veth, bridge, ...).
 */
export async function ipJsonBatch(
  run: Runner,
  lines: readonly string[],
  opts: NetnsOption & { details?: boolean } = {},
): Promise<unknown[][]> {
  if (lines.length === 0) return [];
  const global = opts.details === true ? ['-d', '-json'] : ['-json'];
  const r = await run({ ...ipArgv([...global, '-batch', '-'], opts.netns), input: lines.join('\n') + '\n' });
  return r.stdout
    .split('\n')
    .filter((l) => l.startsWith('['))
    .map((l) => JSON.parse(l) as unknown[]);
}

/** Delete a link; true if it existed. A missing link is not an error (idempotent teardown). */
export async function deleteLink(run: Runner, name: string, opts: NetnsOption = {}): Promise<boolean> {
  const r = await run({ ...ipArgv(['link', 'del', 'dev', name], opts.netns), okExitCodes: [1] });
  if (r.exitCode === 0) return true;
  if (/Cannot find device/.test(r.stderr)) return false;
  throw new ExecError({ argv: r.argv, exitCode: r.exitCode, stderr: r.stderr });
}

/** `ip -json route get ADDR`: the kernel's route to one address (undefined: none, e.g. unreachable). */
export async function routeGet(run: Runner, addr: string, opts: NetnsOption = {}): Promise<{ type?: string; gateway?: string; dev?: string } | undefined> {
  try {
    const [r] = await ipJson<{ type?: string; gateway?: string; dev?: string }>(run, ['route', 'get', addr], opts);
    return r;
  } catch (e) {
    // "RTNETLINK answers: Network is unreachable" and friends: no route, which is an answer.
    if (e instanceof ExecError) return undefined;
    throw e;
  }
}

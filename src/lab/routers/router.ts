// The lab's external BGP routers: a real BIRD 2, FRR or GoBGP in one of the lab's namespaces, as a
// top-of-rack router (eBGP to every node, installs what it learns so it forwards between node
// subnets) or a route reflector (iBGP on the nodes' segment, next hops unchanged, no FIB). The
// config comes from the same pure renderers the interop tests golden-test (tor/rr options are
// built by the lab; see torConfig/rrConfig).
//
// A router outlives the CLI process that started it: its daemons run detached (src/net/daemon.ts)
// and the RouterHandle (plain JSON: kind, namespace, state dir, PID + start time of each daemon)
// is all a later process needs to query or stop it. Queries use the daemons' control sockets in the
// state dir (birdc -s, vtysh --vty_socket, gobgp --target unix://), so they need not enter the
// namespace.
//
// Why things are the way they are:
// - The config is checked by the daemon's own checker first (bird -p, bgpd -C, gobgpd --dry-run),
//   so a config error reads as the daemon's message instead of "did not come up".
// - BIRD runs with -f (foreground), so the PID we keep is BIRD's; FRR's zebra and bgpd likewise
//   (no -d). `ip netns exec` execs in place, so the PID startDaemon returns is the daemon's.
// - FRR drops privileges to user frr: the state dir and config files are chowned to it. Every FRR
//   socket and pid file lives in the state dir (--vty_socket, -i, -z), `-P 0` disables the TCP
//   vty, so FRR routers in several namespaces do not collide. zebra runs even where there is no FIB
//   to program (the RR, with `bgp no-rib`): bgpd without zebra (-Z) knows no interfaces, and
//   withdraws every IPv6 route whose next hops include a link-local address ("sent a v6 LL next-hop
//   and there's no peer interface information"), which BIRD sends on a shared segment. zebra logs
//   "Disabling MPLS support" in a namespace; harmless.
// - GoBGP: `--pprof-disable`, or every gobgpd binds localhost:6060. It has no FIB: the ToR's routes
//   are installed by a process of ours (gobgp-fib.ts says why not GoBGP's zebra client).
// - Stopping goes in reverse start order (bgpd before zebra, so zebra withdraws cleanly; the GoBGP
//   FIB sync before gobgpd, so it removes its routes).

import { chownSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../logging/logger.js';
import { daemonAlive, startDaemon, stopDaemon, type DaemonRef } from '../../net/daemon.js';
import { execRunner } from '../../net/exec.js';
import { renderBirdConfig, birdStaticFile } from './bird-config.js';
import { parseBirdProtocols, parseBirdRoutes } from './bird-parse.js';
import { validateOptions } from './common.js';
import { renderBgpdConfig, renderZebraConfig } from './frr-config.js';
import { parseFrrRoutes, parseFrrSummary } from './frr-parse.js';
import { renderGobgpConfig } from './gobgp-config.js';
import { parseGobgpNeighbors, parseGobgpRib } from './gobgp-parse.js';
import type { Family, RouterConfig, RouterKind, RouterRoute, RouterSession } from './types.js';

export type { RouterKind } from './types.js';

export interface RouterOptions extends RouterConfig {
  /** The namespace the router runs in (the lab made it). */
  readonly netns: string;
  /** An existing state dir the lab owns: config, sockets, pid files, logs. Not removed by stopRouter. */
  readonly dir: string;
}

/** JSON-serialisable: the lab stores it in its state file, and a later process queries or stops it. */
export interface RouterHandle {
  readonly kind: RouterKind;
  readonly netns: string;
  readonly dir: string;
  readonly daemons: readonly DaemonRef[];
}

export interface RouterSessionInfo {
  readonly peer: string;
  readonly state: string;
  readonly established: boolean;
  readonly prefixesReceived?: number;
}

export interface RouterFibRoute {
  readonly prefix: string;
  readonly nextHops: string[];
}

// ---- roles ----

export interface TorNode {
  /** The node's address on its link to the ToR (IPv4 or IPv6). */
  readonly address: string;
  readonly asn: number;
}

export interface TorSpec {
  readonly routerId: string;
  readonly asn: number;
  /** The ToR's loopback addresses (on lo, added by the lab) the nodes peer with, per family. */
  readonly loopback: { readonly 4: string; readonly 6?: string };
  readonly nodes: readonly TorNode[];
  readonly holdTime?: number;
}

/**
 * A top-of-rack router: eBGP to every node (the node's own AS), passive and multihop from its
 * loopback, installs the learned routes with ECMP. IPv6 when any node address is IPv6.
 */
export function torConfig(t: TorSpec): RouterConfig {
  const ipv6 = t.nodes.some((n) => n.address.includes(':'));
  if (ipv6 && t.loopback[6] === undefined) throw new Error('IPv6 node addresses need an IPv6 loopback');
  return {
    routerId: t.routerId,
    asn: t.asn,
    kernel: true,
    multipath: true,
    ...(ipv6 ? { ipv6: true } : {}),
    ...(t.holdTime !== undefined ? { holdTime: t.holdTime } : {}),
    neighbors: t.nodes.map((n) => ({
      address: n.address,
      asn: n.asn,
      passive: true,
      multihop: true,
      localAddress: (n.address.includes(':') ? t.loopback[6] : t.loopback[4]) as string,
    })),
  };
}

export interface RrSpec {
  readonly routerId: string;
  /** The cluster's AS (iBGP). */
  readonly asn: number;
  /** The nodes' addresses on the shared segment (IPv4 and/or IPv6). */
  readonly clients: readonly string[];
  readonly clusterId?: string;
  readonly holdTime?: number;
}

/** A route reflector on the nodes' L2 segment: every node an rr client, next hops unchanged, no FIB. */
export function rrConfig(r: RrSpec): RouterConfig {
  return {
    routerId: r.routerId,
    asn: r.asn,
    routeReflector: r.clusterId !== undefined ? { clusterId: r.clusterId } : {},
    ...(r.clients.some((c) => c.includes(':')) ? { ipv6: true } : {}),
    ...(r.holdTime !== undefined ? { holdTime: r.holdTime } : {}),
    neighbors: r.clients.map((address) => ({ address, asn: r.asn, rrClient: true })),
  };
}

// ---- start ----

const FRR_BIN = '/usr/lib/frr';
const READY_TIMEOUT_MS = 15_000;
const GOBGP_FIB = 'meridian-gobgp-fib.mjs';

const birdCtl = (dir: string): string => join(dir, 'bird.ctl');
const gobgpSock = (dir: string): string => join(dir, 'gobgp.sock');

async function cli(h: Pick<RouterHandle, 'kind' | 'dir'>, args: readonly string[]): Promise<string> {
  const argv =
    h.kind === 'bird'
      ? ['birdc', '-s', birdCtl(h.dir), ...args]
      : h.kind === 'frr'
        ? ['vtysh', '--vty_socket', h.dir, '-d', 'bgpd', '-c', args.join(' ')]
        : ['gobgp', '--target', `unix://${gobgpSock(h.dir)}`, ...args];
  return (await execRunner({ argv })).stdout;
}

function tail(files: readonly string[]): string {
  return files
    .filter((f) => existsSync(f))
    .map((f) => `--- ${f} ---\n${readFileSync(f, 'utf8').slice(-3000)}`)
    .join('\n');
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Wait until `probe` succeeds; fail at once, with the logs, if one of `daemons` exits. */
async function waitReady(daemons: readonly DaemonRef[], probe: () => Promise<boolean>, what: string, logs: readonly string[]): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = '';
  for (;;) {
    if (daemons.some((d) => !daemonAlive(d))) throw new Error(`${what}: the daemon exited\n${tail(logs)}`);
    try {
      if (await probe()) return;
    } catch (e) {
      last = (e as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last !== '' ? ` (last error: ${last})` : ''}\n${tail(logs)}`);
    await sleep(50);
  }
}

/** dist/meridian-gobgp-fib.mjs: next to the bundle that runs us, or dist/ of the checkout (sources, tests). */
export function gobgpFibEntry(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, GOBGP_FIB), resolve(here, '../../../dist', GOBGP_FIB)];
  const found = candidates.find((c) => existsSync(c));
  if (found === undefined) throw new Error(`${GOBGP_FIB} not found (looked at ${candidates.join(', ')}); run node scripts/build.mjs`);
  return found;
}

type Started = DaemonRef[];

async function startBirdRouter(o: RouterOptions, started: Started): Promise<void> {
  const conf = join(o.dir, 'bird.conf');
  writeFileSync(conf, renderBirdConfig(o, o.dir));
  // The config includes the static announce files; the lab's routers originate nothing.
  for (const f of [4, 6] as const) writeFileSync(birdStaticFile(o.dir, f), '');
  await execRunner({ argv: ['bird', '-p', '-c', conf] });
  const logs = [join(o.dir, 'bird.out'), join(o.dir, 'bird.log')];
  started.push(startDaemon(['bird', '-f', '-c', conf, '-s', birdCtl(o.dir), '-P', join(o.dir, 'bird.pid')], { netns: o.netns, log: logs[0] as string }));
  await waitReady(started, async () => (await cli({ kind: 'bird', dir: o.dir }, ['show', 'status'])).includes('Daemon is up'), 'BIRD to come up', logs);
}

let frrIds: { uid: number; gid: number } | undefined;
async function frrUser(): Promise<{ uid: number; gid: number }> {
  if (frrIds === undefined) {
    const id = async (flag: string): Promise<number> => Number((await execRunner({ argv: ['id', flag, 'frr'] })).stdout.trim());
    frrIds = { uid: await id('-u'), gid: await id('-g') };
  }
  return frrIds;
}

async function startFrrRouter(o: RouterOptions, started: Started): Promise<void> {
  const ids = await frrUser();
  chownSync(o.dir, ids.uid, ids.gid);
  const write = (name: string, text: string): string => {
    const f = join(o.dir, name);
    writeFileSync(f, text);
    chownSync(f, ids.uid, ids.gid);
    return f;
  };
  const common = ['--vty_socket', o.dir, '-P', '0', '-u', 'frr', '-g', 'frr'];
  const logs = ['bgpd.out', 'bgpd.log', 'zebra.out', 'zebra.log'].map((f) => join(o.dir, f));
  // Without kernel, `bgp no-rib`: bgpd still learns interfaces and next hops from zebra but
  // installs nothing (see the header on why an RR needs zebra at all).
  const conf = write('bgpd.conf', `${o.kernel === true ? '' : 'bgp no-rib\n'}${renderBgpdConfig(o, o.netns)}`);
  await execRunner({ argv: [`${FRR_BIN}/bgpd`, '-C', '-Z', '-f', conf, '--vty_socket', o.dir, '-P', '0', '-i', join(o.dir, 'bgpd-check.pid')] });
  const zconf = write('zebra.conf', renderZebraConfig(o.netns));
  const zserv = join(o.dir, 'zserv.api');
  // -s: a large netlink receive buffer, so a burst of route changes is not dropped.
  const zebra = [`${FRR_BIN}/zebra`, ...common, '-f', zconf, '-i', join(o.dir, 'zebra.pid'), '-z', zserv, '--log', `file:${join(o.dir, 'zebra.log')}`, '-s', '90000000'];
  started.push(startDaemon(zebra, { netns: o.netns, log: join(o.dir, 'zebra.out') }));
  await waitReady(started, () => Promise.resolve(existsSync(zserv)), 'zebra to open its zserv socket', logs);
  const port = String(o.listenPort ?? 179);
  const argv = [`${FRR_BIN}/bgpd`, ...common, '-f', conf, '-i', join(o.dir, 'bgpd.pid'), '-p', port, '-z', zserv, '--log', `file:${join(o.dir, 'bgpd.log')}`];
  started.push(startDaemon(argv, { netns: o.netns, log: join(o.dir, 'bgpd.out') }));
  await waitReady(started, async () => (await cli({ kind: 'frr', dir: o.dir }, ['show', 'bgp', 'summary', 'json'])) !== undefined, 'bgpd to answer on its vty socket', logs);
}

async function startGobgpRouter(o: RouterOptions, started: Started): Promise<void> {
  const conf = join(o.dir, 'gobgpd.toml');
  writeFileSync(conf, renderGobgpConfig(o));
  await execRunner({ argv: ['gobgpd', '--dry-run', '-f', conf, '-t', 'toml'] });
  const sock = gobgpSock(o.dir);
  const logs = [join(o.dir, 'gobgpd.log'), join(o.dir, 'gobgp-fib.log')];
  const argv = ['gobgpd', '-f', conf, '-t', 'toml', '--api-hosts', `unix://${sock}`, '--pprof-disable', '--log-plain', '-l', 'info'];
  started.push(startDaemon(argv, { netns: o.netns, log: logs[0] as string }));
  await waitReady(started, async () => (await cli({ kind: 'gobgp', dir: o.dir }, ['global'])) !== undefined, 'gobgpd to answer on its API socket', logs);
  if (o.kernel === true) {
    const fib = [process.execPath, gobgpFibEntry(), '--socket', sock, ...(o.multipath === true ? ['--multipath'] : [])];
    started.push(startDaemon(fib, { netns: o.netns, log: logs[1] as string }));
    await waitReady(started, () => Promise.resolve(readFileSync(logs[1] as string, 'utf8').includes('syncing the FIB')), 'the GoBGP FIB sync to start', logs);
  }
}

/**
 * Start a router in `opts.netns` with its files in `opts.dir`. Resolves once the daemon answers on
 * its control socket. On failure whatever it started is stopped again, and the error carries the
 * daemon's own message (config check) or the tail of its logs.
 */
export async function startRouter(kind: RouterKind, opts: RouterOptions, log?: Logger): Promise<RouterHandle> {
  validateOptions(opts);
  const started: Started = [];
  try {
    if (kind === 'bird') await startBirdRouter(opts, started);
    else if (kind === 'frr') await startFrrRouter(opts, started);
    else await startGobgpRouter(opts, started);
  } catch (e) {
    await stopRouter({ kind, netns: opts.netns, dir: opts.dir, daemons: started });
    throw e;
  }
  const h: RouterHandle = { kind, netns: opts.netns, dir: opts.dir, daemons: started };
  log?.info({ router: kind, netns: opts.netns, pids: started.map((d) => d.pid) }, 'router started');
  return h;
}

/** Stop every daemon of the router by PID (reverse start order). Idempotent; any process may call it. */
export async function stopRouter(h: RouterHandle): Promise<void> {
  for (const d of [...h.daemons].reverse()) await stopDaemon(d);
}

export async function routerSessions(h: RouterHandle): Promise<RouterSessionInfo[]> {
  const parse: Record<RouterKind, (text: string) => RouterSession[]> = { bird: parseBirdProtocols, frr: parseFrrSummary, gobgp: parseGobgpNeighbors };
  const args: Record<RouterKind, string[]> = { bird: ['show', 'protocols', 'all'], frr: ['show', 'bgp', 'summary', 'json'], gobgp: ['neighbor', '-j'] };
  return parse[h.kind](await cli(h, args[h.kind]));
}

/** The router's Loc-RIB: the best path of each prefix of one family. */
export async function routerRoutes(h: RouterHandle, family: Family): Promise<RouterFibRoute[]> {
  let paths: RouterRoute[];
  if (h.kind === 'bird') paths = parseBirdRoutes(await cli(h, ['show', 'route', 'all', 'table', `master${family}`]));
  else if (h.kind === 'frr') paths = parseFrrRoutes(await cli(h, ['show', 'bgp', `ipv${family}`, 'unicast', 'json', 'detail']));
  else paths = parseGobgpRib(await cli(h, ['global', 'rib', '-a', `ipv${family}`, '-j']));
  return paths.filter((p) => p.best).map((p) => ({ prefix: p.prefix, nextHops: p.nextHops }));
}

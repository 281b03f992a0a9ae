// The FIB of a GoBGP router: GoBGP has no FIB of its own, so as the lab's ToR (which must forward
// pod traffic between node subnets) a small process of ours, started next to gobgpd in its
// namespace, makes the kernel's main table follow GoBGP's Loc-RIB: routes `proto bgp`, ECMP over
// the equal paths with `multipath`, nothing else touched.
//
// Why not GoBGP's own zebra client with FRR's zebra (the documented way): gobgpd 3.10 (Debian 12)
// cannot talk to zebra 8.4. With `software-name = "frr8.2"` (the newest it knows) it panics
// decoding zebra's first interface message ("slice bounds out of range" in
// interfaceUpdateBody.decodeFromBytes): FRR 8.3 shortened the interface name in ZAPI from 20 to
// IFNAMSIZ (16) bytes, which GoBGP learned only in 3.18 (commit 5f01c74a, "Accommodate FRRouting
// interfaceNameSize changes"). An older name (frr7.x) decodes the interface messages but numbers
// the commands the pre-8.2 way, so zebra answers "unknown command" and installs nothing.
//
// How: a change in the RIB (`gobgp monitor global rib`, one per family) triggers a resync, and a
// timer resyncs anyway (a monitor that died, a route someone deleted). A resync reads the RIB with
// `gobgp global rib -j`, diffs it against `ip route show proto bgp` and applies the difference in
// one `ip -force -batch`. If gobgpd does not answer, the FIB is emptied (no RIB, no routes); on
// SIGTERM the process removes its routes before it exits, as BIRD and zebra do.

import { spawn, type ChildProcess } from 'node:child_process';
import { familyOf } from './common.js';
import { parseGobgpRib } from './gobgp-parse.js';
import type { Family, RouterRoute } from './types.js';
import { applyRouteOps, listRoutes, type KernelRoute, type RouteOp } from '../../net/ip.js';
import type { Runner } from '../../net/runner.js';

/** The kernel protocol of the routes we own (what zebra uses for BGP routes, too). */
export const FIB_PROTO = 'bgp';

export interface FibEntry {
  readonly prefix: string;
  /** Sorted. */
  readonly gateways: readonly string[];
}

/**
 * What the FIB should hold: per prefix the best path's next hop, and with `multipath` also the
 * next hops of the paths equal to it in LOCAL_PREF and AS_PATH length (multipath-relax: any AS).
 * Locally originated paths (no next hop) are not installed. Pure.
 */
export function desiredFib(paths: readonly RouterRoute[], multipath: boolean): FibEntry[] {
  const byPrefix = new Map<string, RouterRoute[]>();
  for (const p of paths) byPrefix.set(p.prefix, [...(byPrefix.get(p.prefix) ?? []), p]);
  const out: FibEntry[] = [];
  for (const [prefix, ps] of byPrefix) {
    const best = ps.find((p) => p.best);
    if (best === undefined || best.from === undefined || best.nextHops[0] === undefined) continue;
    const equal = multipath ? ps.filter((p) => p.from !== undefined && p.localPref === best.localPref && p.asPath.length === best.asPath.length) : [best];
    const gateways = [...new Set(equal.map((p) => p.nextHops[0]).filter((h): h is string => h !== undefined))].sort();
    out.push({ prefix, gateways });
  }
  return out;
}

/** `ip -j route` prints host routes without their length. */
function kernelPrefix(r: KernelRoute, family: Family): string {
  return r.dst.includes('/') ? r.dst : `${r.dst}/${family === 4 ? 32 : 128}`;
}

function kernelGateways(r: KernelRoute): string[] {
  const hops = r.nexthops ?? [r];
  return hops.map((h) => h.gateway).filter((g): g is string => g !== undefined).sort();
}

/** Route ops that turn `current` (our routes in the kernel) into `desired`. Pure. */
export function planFib(desired: readonly FibEntry[], current: readonly KernelRoute[], family: Family): RouteOp[] {
  const have = new Map(current.map((r) => [kernelPrefix(r, family), kernelGateways(r)]));
  const ops: RouteOp[] = [];
  const wanted = new Set<string>();
  for (const d of desired) {
    if (familyOf(d.prefix) !== family) continue;
    wanted.add(d.prefix);
    if (have.get(d.prefix)?.join() === d.gateways.join()) continue;
    ops.push({ type: 'replace', route: { dst: d.prefix, protocol: FIB_PROTO, nexthops: d.gateways.map((gateway) => ({ gateway })) } });
  }
  for (const prefix of have.keys()) if (!wanted.has(prefix)) ops.push({ type: 'del', route: { dst: prefix, protocol: FIB_PROTO } });
  return ops;
}

export interface FibSyncOptions {
  /** gobgpd's API socket (unix path). */
  readonly socket: string;
  readonly multipath: boolean;
  /** Runs `gobgp` and `ip` in the router's namespace (the sync process lives there). */
  readonly run: Runner;
  /** Full resync period, whatever the monitors say. */
  readonly intervalMs?: number;
  readonly report?: (line: string) => void;
}

export interface FibSync {
  /** Stop watching and remove our routes. */
  stop(): Promise<void>;
}

const FAMILIES: readonly Family[] = [4, 6];

export async function startFibSync(o: FibSyncOptions): Promise<FibSync> {
  const report = o.report ?? ((): void => undefined);
  const gobgp = (args: readonly string[]): Promise<string> => o.run({ argv: ['gobgp', '--target', `unix://${o.socket}`, ...args] }).then((r) => r.stdout);

  const syncFamily = async (f: Family, empty: boolean): Promise<void> => {
    let desired: FibEntry[] = [];
    if (!empty) {
      try {
        desired = desiredFib(parseGobgpRib(await gobgp(['global', 'rib', '-a', `ipv${f}`, '-j'])), o.multipath);
      } catch (e) {
        report(`gobgpd does not answer, emptying the IPv${f} FIB: ${(e as Error).message}`);
      }
    }
    const ops = planFib(desired, await listRoutes(o.run, { family: f, protocol: FIB_PROTO }), f);
    if (ops.length > 0) report(`IPv${f}: ${ops.length} route change(s)`);
    // -force: one route the kernel refuses (a next hop not on a connected subnet) must not keep the
    // others out; the refusal is reported and retried at the next resync.
    await applyRouteOps(o.run, ops).catch((e: unknown) => report((e as Error).message));
  };

  // One resync at a time; a trigger during one schedules exactly one more.
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  const resync = (): void => {
    if (stopped) return;
    if (running !== undefined) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        for (const f of FAMILIES) await syncFamily(f, false).catch((e: unknown) => report((e as Error).message));
      } while (again && !stopped);
    })().finally(() => {
      running = undefined;
    });
  };

  const monitors = new Map<Family, ChildProcess>();
  const watch = (f: Family): void => {
    if (stopped) return;
    const m = spawn('gobgp', ['--target', `unix://${o.socket}`, 'monitor', 'global', 'rib', '-a', `ipv${f}`, '-j'], { stdio: ['ignore', 'pipe', 'ignore'] });
    monitors.set(f, m);
    m.stdout.on('data', resync);
    // gobgpd restarted or not up yet: watch again shortly; the timer covers the gap.
    m.on('exit', () => setTimeout(() => watch(f), 1000).unref());
    m.on('error', (e) => report(`gobgp monitor: ${e.message}`));
  };
  for (const f of FAMILIES) watch(f);
  const timer = setInterval(resync, o.intervalMs ?? 5000);
  resync();

  return {
    async stop(): Promise<void> {
      stopped = true;
      clearInterval(timer);
      for (const m of monitors.values()) m.kill('SIGTERM');
      await running;
      for (const f of FAMILIES) await syncFamily(f, true).catch(() => undefined);
    },
  };
}

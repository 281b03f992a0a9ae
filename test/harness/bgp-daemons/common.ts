// Shared by the three daemon modules: option checks, state dirs, readiness waits and the small
// normalisations every parser needs. Pure helpers first, process/filesystem edges last.

import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isIP } from 'node:net';
import type { World } from '../netns.js';
import type { Proc } from '../procs.js';
import { waitFor } from '../wait.js';
import type { AnnounceOptions, BgpDaemon, DaemonKind, DaemonNeighbor, DaemonOptions, Family, SessionState } from './types.js';

/** Connect-retry timer used by every generated config, so sessions come up in a few seconds. */
export const CONNECT_RETRY_S = 2;

export function familyOf(address: string): Family {
  const v = isIP(address.split('/')[0] ?? '');
  if (v === 0) throw new Error(`not an IP address or prefix: ${address}`);
  return v === 6 ? 6 : 4;
}

export function isEbgp(opts: DaemonOptions, n: DaemonNeighbor): boolean {
  return n.asn !== opts.asn;
}

/** Hold time of a neighbor (undefined: the daemon's default) and the keepalive that goes with it. */
export function timersOf(opts: DaemonOptions, n: DaemonNeighbor): { hold: number; keepalive: number } | undefined {
  const hold = n.holdTime ?? opts.holdTime;
  if (hold === undefined) return undefined;
  return { hold, keepalive: Math.max(1, Math.floor(hold / 3)) };
}

export function clusterIdOf(opts: DaemonOptions): string {
  return opts.routeReflector?.clusterId ?? opts.routerId;
}

/** Does this neighbor get route-reflector-client treatment? (iBGP only, and only on an RR.) */
export function isRrClient(opts: DaemonOptions, n: DaemonNeighbor): boolean {
  return opts.routeReflector !== undefined && n.rrClient === true && !isEbgp(opts, n);
}

/** Reject option combinations the renderers would otherwise turn into a config that silently differs. */
export function validateOptions(opts: DaemonOptions): void {
  if (familyOf(opts.routerId) !== 4) throw new Error(`router id must be a dotted quad: ${opts.routerId}`);
  const seen = new Set<string>();
  for (const n of opts.neighbors) {
    if (seen.has(n.address)) throw new Error(`duplicate neighbor ${n.address}`);
    seen.add(n.address);
    if (familyOf(n.address) === 6 && opts.ipv6 !== true) throw new Error(`IPv6 neighbor ${n.address} needs ipv6: true`);
    if (n.rrClient === true && opts.routeReflector === undefined) throw new Error(`rrClient ${n.address} needs routeReflector`);
    if (n.rrClient === true && isEbgp(opts, n)) throw new Error(`rrClient ${n.address} must be iBGP`);
    if (n.localAddress !== undefined && familyOf(n.localAddress) !== familyOf(n.address)) {
      throw new Error(`localAddress ${n.localAddress} is not of the family of ${n.address}`);
    }
  }
}

export function splitByFamily(prefixes: readonly string[]): Record<Family, string[]> {
  const out: Record<Family, string[]> = { 4: [], 6: [] };
  for (const p of prefixes) {
    if (!p.includes('/')) throw new Error(`prefix without length: ${p}`);
    out[familyOf(p)].push(p);
  }
  return out;
}

export function checkAnnounce(opts: DaemonOptions, prefixes: readonly string[], a: AnnounceOptions): Record<Family, string[]> {
  const byFam = splitByFamily(prefixes);
  if (byFam[6].length > 0 && opts.ipv6 !== true) throw new Error('IPv6 prefixes need ipv6: true');
  if (a.nextHop !== undefined && prefixes.some((p) => familyOf(p) !== familyOf(a.nextHop as string))) {
    throw new Error(`next hop ${a.nextHop} does not match the family of every prefix`);
  }
  for (const c of a.communities ?? []) {
    if (!/^\d{1,5}:\d{1,5}$/.test(c)) throw new Error(`community must be "asn:value" (16-bit each): ${c}`);
  }
  return byFam;
}

/** "0.0.0.0" and "::" mean "myself" in local paths; the normalised route lists no next hop then. */
export function realNextHops(hops: readonly (string | undefined | null)[]): string[] {
  return hops.filter((h): h is string => typeof h === 'string' && h !== '' && h !== '0.0.0.0' && h !== '::');
}

const STATES: Record<string, SessionState> = {
  idle: 'Idle',
  connect: 'Connect',
  active: 'Active',
  opensent: 'OpenSent',
  openconfirm: 'OpenConfirm',
  established: 'Established',
};

/** Map a daemon's spelling of an FSM state ("Established", "ESTABLISHED", "Idle (Admin)") to RFC 4271's. */
export function canonicalState(s: string): SessionState {
  const key = s.toLowerCase().replace(/\s*\(.*\)$/, '').replace(/[^a-z]/g, '');
  return STATES[key] ?? 'Unknown';
}

export function parseCommunityNumber(c: number): string {
  return `${Math.floor(c / 65536)}:${c % 65536}`;
}

// ---- edges: filesystem and processes ----

/**
 * A fresh state dir. mkdtemp makes it 0700, but FRR's daemons drop privileges to user `frr`, which
 * must reach sockets and pid files in it: make it 0755 (the dir chain /tmp is world-searchable).
 */
export function createStateDir(kind: DaemonKind, given: string | undefined): { dir: string; owned: boolean } {
  if (given !== undefined) return { dir: given, owned: false };
  const dir = mkdtempSync(join(tmpdir(), `meridian-${kind}-`));
  chmodSync(dir, 0o755);
  return { dir, owned: true };
}

export function removeStateDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Remove an owned state dir when the world is cleaned up, even if the test never called stop(). */
export function removeWithWorld(world: World, dir: string, owned: boolean): void {
  if (owned) world.onCleanup(() => removeStateDir(dir));
}

/** Wait until `probe` succeeds, failing at once (with the daemon's output) if the process exits. */
export async function waitReady(procs: readonly Proc[], probe: () => Promise<boolean>, what: string, logs: () => string, timeoutMs = 10_000): Promise<void> {
  await waitFor(
    async () => {
      const dead = procs.find((p) => p.done());
      if (dead !== undefined) {
        const out = dead.output();
        throw new Error(`${dead.argv.join(' ')} exited\n${out.stdout}${out.stderr}${logs()}`);
      }
      return probe();
    },
    { timeoutMs, intervalMs: 50, what },
  ).catch((e: unknown) => {
    // A process that died is the interesting part; waitFor wraps it as "last error".
    throw e instanceof Error ? new Error(`${e.message}\n${logs()}`) : e;
  });
}

export async function waitEstablishedVia(d: BgpDaemon, peer: string, timeoutMs: number): Promise<void> {
  let last = '';
  await waitFor(
    async () => {
      const s = (await d.sessions()).find((x) => x.peer === peer);
      last = s === undefined ? 'no such session' : s.state;
      return s?.established === true;
    },
    { timeoutMs, intervalMs: 100, what: `${d.kind} session with ${peer} to be Established` },
  ).catch((e: unknown) => {
    throw e instanceof Error ? new Error(`${e.message} (last state: ${last})`) : e;
  });
}

/** Run `fn` over `items` with at most `limit` in flight. */
export async function mapLimit<T>(items: readonly T[], limit: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

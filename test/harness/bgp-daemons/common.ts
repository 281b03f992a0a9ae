// Shared by the three daemon modules of the harness: announce checks, state dirs and readiness
// waits. The pure helpers the renderers and parsers share are in src/lab/routers/common.ts.

import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { familyOf } from '../../../src/lab/routers/common.js';
import type { World } from '../netns.js';
import type { Proc } from '../procs.js';
import { waitFor } from '../wait.js';
import type { AnnounceOptions, BgpDaemon, DaemonKind, DaemonOptions, Family } from './types.js';

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

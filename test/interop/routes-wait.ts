// Waits over a daemon's Loc-RIB and netns FIB for interop tests: each names what it waits for and
// reports how far it got, so a timeout says which prefixes never arrived.

import type { World, Netns } from '../harness/netns.js';
import { fibRoutes, type BgpDaemon, type DaemonRoute, type Family, type FibRoute } from '../harness/bgp-daemons/index.js';
import { waitFor } from '../harness/wait.js';

/**
 * Wait until the best paths `from` a neighbor, among the prefixes in `universe`, are exactly
 * `want`; returns them by prefix.
 */
export async function waitLearned(
  d: BgpDaemon,
  family: Family,
  from: string,
  want: readonly string[],
  universe: readonly string[] = want,
  timeoutMs = 20_000,
): Promise<Map<string, DaemonRoute>> {
  const inUniverse = new Set(universe);
  const wanted = new Set(want);
  let got = 0;
  let extra = 0;
  return waitFor(
    async () => {
      const seen = new Map<string, DaemonRoute>();
      for (const r of await d.routes(family)) if (r.best && r.from === from && inUniverse.has(r.prefix)) seen.set(r.prefix, r);
      got = [...seen.keys()].filter((p) => wanted.has(p)).length;
      extra = seen.size - got;
      return got === wanted.size && extra === 0 ? seen : undefined;
    },
    { timeoutMs, intervalMs: 200, what: `${d.kind} to hold exactly ${wanted.size} IPv${family} prefixes from ${from}` },
  ).catch((e: unknown) => {
    throw e instanceof Error ? new Error(`${e.message} (had ${got} of them and ${extra} others)`) : e;
  });
}

/** Wait until the netns FIB holds exactly `want` among `universe`; returns those routes. */
export async function waitFib(w: World, ns: Netns, family: Family, want: readonly string[], universe: readonly string[] = want, timeoutMs = 15_000): Promise<Map<string, FibRoute>> {
  const inUniverse = new Set(universe);
  const wanted = new Set(want);
  let got = 0;
  return waitFor(
    async () => {
      const seen = new Map((await fibRoutes(w, ns, family)).filter((r) => inUniverse.has(r.prefix)).map((r) => [r.prefix, r]));
      got = seen.size;
      return seen.size === wanted.size && [...wanted].every((p) => seen.has(p)) ? seen : undefined;
    },
    { timeoutMs, intervalMs: 200, what: `the FIB of ${ns.role} to hold exactly ${wanted.size} IPv${family} prefixes` },
  ).catch((e: unknown) => {
    throw e instanceof Error ? new Error(`${e.message} (had ${got})`) : e;
  });
}

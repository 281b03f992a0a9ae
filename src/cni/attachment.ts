// Helpers shared by the per-verb files: the attachment request type, pools from config and node
// file, recovery of a corrupt IPAM state, and the sweep's "is this allocation's container gone"
// probe.

import { access } from 'node:fs/promises';
import type { CniRequest } from './request.js';
import type { MeridianConf } from './conf.js';
import { readNodeFile } from './ipam/node-file.js';
import { resolvePools, usesPodCidr, type Pool } from './ipam/pools.js';
import { releaseGone, type Allocation, type IpamState } from './ipam/allocator.js';
import { recoveredState } from './ipam/recover.js';
import { isCorrupt } from './ipam/file-store.js';
import type { IpamStore } from './ipam/store.js';
import type { Deps } from './deps.js';
import { hostVethOf, mayDeleteVeth } from './host-veths.js';
import { hostVethExists, readPodRoutes } from './wiring.js';

export type AttachmentRequest = Extract<CniRequest, { verb: 'ADD' | 'DEL' | 'CHECK' }>;

export async function loadPools(conf: MeridianConf): Promise<Pool[]> {
  const podCidrs = usesPodCidr(conf.ranges) ? (await readNodeFile(conf.nodeFile)).podCIDRs : undefined;
  return resolvePools(conf.ranges, podCidrs);
}

/**
 * The IPAM state for DEL and GC, which must not fail for ever on a corrupt state file (the runtime
 * would retry them endlessly): the file is moved aside (kept for forensics) and replaced by the
 * state rebuilt from the node's pod routes (ipam/recover.ts), so addresses of running pods are not
 * handed out again. One line goes to stderr. Other read errors still fail.
 */
export async function readOrRecover(store: IpamStore, deps: Deps): Promise<IpamState> {
  try {
    return await store.read();
  } catch (e) {
    if (!isCorrupt(e)) throw e;
    const now = deps.now();
    const rebuilt = recoveredState(await readPodRoutes(deps.run), now);
    const aside = await store.quarantine(rebuilt, now);
    if (aside !== undefined) {
      deps.warn?.(`IPAM state was corrupt (${e.details}): moved it to ${aside}, rebuilt ${rebuilt.allocations.length} reservation(s) from the node's pod routes`);
    }
    return store.read();
  }
}

export async function pathExists(p: string): Promise<boolean> {
  return access(p).then(
    () => true,
    () => false,
  );
}

/** Long enough that no ADD still sits between allocating and creating its veth. */
export const SWEEP_GRACE_MS = 60_000;

/**
 * Release allocations whose container is gone: no host veth (the pair dies with the pod netns, and
 * a veth that a newer sandbox of the same pod took over is no longer this record's) and no netns
 * path. The probes run before taking the lock (they are slow-ish and need no lock);
 * the grace period covers a concurrent ADD that allocated and has not wired yet.
 */
export async function sweep(store: IpamStore, now: number): Promise<Allocation[]> {
  const state = await store.read();
  const gone = new Set<string>();
  await Promise.all(
    state.allocations.map(async (a) => {
      if (now - a.at < SWEEP_GRACE_MS) return;
      const veth = hostVethOf(a);
      const vethGone = !mayDeleteVeth(state, veth, a) || !(await hostVethExists(veth));
      const nsGone = a.netns === undefined || !(await pathExists(a.netns));
      if (vethGone && nsGone) gone.add(`${a.containerId}\n${a.ifname}`);
    }),
  );
  return store.update((s) => {
    const r = releaseGone(s, { now, graceMs: SWEEP_GRACE_MS, gone: (a) => gone.has(`${a.containerId}\n${a.ifname}`) });
    return { state: { ...r.state, sweptAt: now }, value: r.released };
  });
}

/** How often ADD sweeps (kubenet's "regularly releasing assigned but unused IP addresses"). */
export const SWEEP_INTERVAL_MS = 5 * 60_000;

/**
 * The regular sweep, from ADD: runtimes that never send GC (containerd; configs below 1.1.0) would
 * otherwise leave the addresses of containers that vanished without a DEL allocated until the pool
 * ran out. One state read per ADD; the sweep itself at most every SWEEP_INTERVAL_MS.
 */
export async function sweepIfDue(store: IpamStore, now: number): Promise<Allocation[]> {
  const due = (sweptAt: number | undefined): boolean => sweptAt === undefined || now - sweptAt >= SWEEP_INTERVAL_MS || sweptAt > now;
  if (!due((await store.read()).sweptAt)) return [];
  // Claimed under the lock, so a burst of ADDs after a quiet spell sweeps once, not once each.
  const claimed = await store.update((s) => (due(s.sweptAt) ? { state: { ...s, sweptAt: now }, value: true } : { state: s, value: false }));
  return claimed ? sweep(store, now) : [];
}

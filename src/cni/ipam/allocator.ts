// The IPAM allocator: state in, state out, no I/O and no clock (time is an argument). The store
// (store.ts) runs it under a lock and persists the result.
//
// Invariants (property-tested in test/cni/allocator.test.ts):
// - an address is held by at most one attachment (containerID + ifname);
// - the network address, IPv4 broadcast and the range's gateway are never handed out;
// - allocate() for an attachment that already holds addresses returns the same addresses
//   (idempotent: a retried ADD after a lost reply gets the same IPs); only the recorded host veth
//   name is brought up to date;
// - within a pool, allocation continues after the last address handed out (host-local's
//   round-robin), so a just-released address is not reused at once while stale routes or conntrack
//   entries for it may linger.

import { formatIp, parseIp } from '../ip-addr.js';
import type { Attachment } from '../conf.js';
import { rangeSize, type Pool } from './pools.js';

export interface Allocation {
  readonly containerId: string;
  readonly ifname: string;
  /** The netns path at ADD, for the sweep of attachments whose container is gone. */
  readonly netns: string | undefined;
  /** Address without prefix, as formatIp prints it. */
  readonly ip: string;
  /**
   * The host veth ADD wired for it (names.ts). Absent in records of older plugin versions, whose
   * veth name followed from containerId + ifname (host-veths.ts hostVethOf).
   */
  readonly hostVeth?: string;
  /** Milliseconds since the epoch. */
  readonly at: number;
}

export interface IpamState {
  readonly allocations: readonly Allocation[];
  /** Pool key (family:first subnet) -> last address handed out. */
  readonly lastReserved: Readonly<Record<string, string>>;
  /** Epoch ms of the last sweep (attachment.ts sweepIfDue runs it regularly from ADD). */
  readonly sweptAt?: number;
}

export const EMPTY_STATE: IpamState = { allocations: [], lastReserved: {} };

/**
 * containerId of a record rebuilt from the kernel after the state file was found corrupt
 * (recover.ts): the address is in use by the pod behind `hostVeth`, whose container is unknown.
 * ":" never occurs in a CNI container ID, so no runtime can name it. Such a record's ifname is
 * its host veth, so each veth is one attachment.
 */
export const RECOVERED_CONTAINER_ID = ':recovered';

export function isRecovered(a: Allocation): boolean {
  return a.containerId === RECOVERED_CONTAINER_ID;
}

export type AllocateOutcome =
  | { readonly type: 'allocated'; readonly state: IpamState; readonly ips: readonly Allocation[] }
  | { readonly type: 'exhausted'; readonly pool: Pool };

export function poolKey(p: Pool): string {
  const first = p.ranges[0];
  return first === undefined ? `${p.family}:` : `${p.family}:${formatIp({ family: p.family, value: first.subnet.network })}/${first.subnet.prefix}`;
}

const sameAttachment = (a: Attachment, b: Attachment): boolean => a.containerId === b.containerId && a.ifname === b.ifname;

function inPool(p: Pool, ip: string): boolean {
  const a = parseIp(ip);
  return a !== undefined && a.family === p.family && p.ranges.some((r) => a.value >= r.start && a.value <= r.end);
}

export function allocationsOf(state: IpamState, who: Attachment): Allocation[] {
  return state.allocations.filter((a) => sameAttachment(a, who));
}

/** Pick one free address in `pool`, starting after `last`, wrapping around once. */
function pickFree(pool: Pool, taken: ReadonlySet<bigint>, last: bigint | undefined): bigint | undefined {
  const ranges = pool.ranges;
  // Start in the range holding `last`, just after it; else at the first range's start.
  let ri = last === undefined ? -1 : ranges.findIndex((r) => last >= r.start && last <= r.end);
  let cursor: bigint;
  if (ri < 0) {
    ri = 0;
    cursor = (ranges[0] as (typeof ranges)[number]).start;
  } else {
    cursor = (last as bigint) + 1n;
  }
  for (let visited = 0; visited <= ranges.length; visited++) {
    const r = ranges[(ri + visited) % ranges.length] as (typeof ranges)[number];
    const from = visited === 0 ? cursor : r.start;
    const heldHere = [...taken].filter((t) => t >= r.start && t <= r.end).length;
    // A full range is skipped without walking it: an IPv6 /64 cannot be scanned.
    if (BigInt(heldHere) < rangeSize(r)) {
      for (let v = from; v <= r.end; v++) {
        if (v !== r.gateway && !taken.has(v)) return v;
      }
      if (visited === 0) {
        // Wrapped in the first range: its part before the cursor comes last.
        for (let v = r.start; v < from; v++) if (v !== r.gateway && !taken.has(v)) return v;
      }
    }
  }
  return undefined;
}

/** One address from each pool for `who`, or the attachment's existing addresses. */
export function allocate(
  state: IpamState,
  pools: readonly Pool[],
  req: Attachment & { readonly netns: string | undefined; readonly now: number; readonly hostVeth?: string },
): AllocateOutcome {
  // A repeated ADD may name the veth differently from an older record (written before names were
  // recorded, or by an ADD without pod identity): the record follows the veth being wired now.
  const renamed = (a: Allocation): boolean => req.hostVeth !== undefined && a.hostVeth !== req.hostVeth && sameAttachment(a, req);
  const base = state.allocations.some(renamed) ? state.allocations.map((a) => (renamed(a) ? { ...a, hostVeth: req.hostVeth } : a)) : state.allocations;
  const mine = base.filter((a) => sameAttachment(a, req));
  const held: Allocation[] = [];
  const added: Allocation[] = [];
  const lastReserved: Record<string, string> = { ...state.lastReserved };
  for (const pool of pools) {
    const existing = mine.find((a) => inPool(pool, a.ip));
    if (existing !== undefined) {
      held.push(existing);
      continue;
    }
    const taken = new Set<bigint>();
    for (const a of [...base, ...added]) {
      const p = parseIp(a.ip);
      if (p !== undefined && p.family === pool.family) taken.add(p.value);
    }
    const key = poolKey(pool);
    const lastText = lastReserved[key];
    const last = lastText !== undefined ? parseIp(lastText) : undefined;
    const v = pickFree(pool, taken, last?.family === pool.family ? last.value : undefined);
    if (v === undefined) return { type: 'exhausted', pool };
    const ip = formatIp({ family: pool.family, value: v });
    const a: Allocation = {
      containerId: req.containerId,
      ifname: req.ifname,
      netns: req.netns,
      ip,
      at: req.now,
      ...(req.hostVeth !== undefined ? { hostVeth: req.hostVeth } : {}),
    };
    added.push(a);
    held.push(a);
    lastReserved[key] = ip;
  }
  return { type: 'allocated', state: { allocations: [...base, ...added], lastReserved }, ips: held };
}

/** Drop every allocation for which `release` is true; returns the new state and what was dropped. */
export function releaseWhere(state: IpamState, release: (a: Allocation) => boolean): { state: IpamState; released: Allocation[] } {
  const released = state.allocations.filter(release);
  if (released.length === 0) return { state, released };
  return { state: { ...state, allocations: state.allocations.filter((a) => !release(a)) }, released };
}

export function releaseAttachment(state: IpamState, who: Attachment): { state: IpamState; released: Allocation[] } {
  return releaseWhere(state, (a) => sameAttachment(a, who));
}

/**
 * GC (SPEC.md 1.1 GC): release everything not held by one of the valid attachments. Recovered
 * records are kept: no runtime can list them, their container being unknown, and the pod behind
 * them may well be valid; the sweep releases them once their veth is gone.
 */
export function releaseInvalid(state: IpamState, valid: readonly Attachment[]): { state: IpamState; released: Allocation[] } {
  const keep = new Set(valid.map((v) => `${v.containerId}\n${v.ifname}`));
  return releaseWhere(state, (a) => !isRecovered(a) && !keep.has(`${a.containerId}\n${a.ifname}`));
}

/**
 * The sweep of addresses whose containers are gone (kubenet's "regularly releasing assigned but
 * unused IP addresses"). An allocation is gone when its host veth no longer exists (the pair dies
 * with the pod's netns) and its netns path is gone, and it is older than `graceMs`, so an ADD still
 * between allocation and wiring in a concurrent process is never swept.
 */
export function releaseGone(
  state: IpamState,
  opts: { readonly now: number; readonly graceMs: number; readonly gone: (a: Allocation) => boolean },
): { state: IpamState; released: Allocation[] } {
  return releaseWhere(state, (a) => opts.now - a.at >= opts.graceMs && opts.gone(a));
}

/** Free addresses left in a pool (for STATUS). */
export function freeCount(state: IpamState, pool: Pool): bigint {
  const size = pool.ranges.reduce((n, r) => n + rangeSize(r), 0n);
  const used = state.allocations.filter((a) => inPool(pool, a.ip)).length;
  return size - BigInt(used);
}

// Kernel route reconcile, the pure half: desired routes (from the Loc-RIB and the node's own
// podCIDRs) against what the kernel shows for our protocol number -> the ops that make them equal.
// Planning again after applying must yield nothing; the netns tests check exactly that against the
// real kernel's normalisation (a /32 read back without its length, "default" for 0.0.0.0/0,
// multipath as a nexthops list, onlink as a flag).
//
// Only routes carrying our protocol number are ever observed, so a route we did not create is never
// deleted. Our routes carry their own metric too: `ip route replace` matches a route by
// destination, table and metric, so with a metric of our own a replace can never overwrite a
// foreign route to the same prefix (a static route, kubelet's, another daemon's).

import { isIP } from 'node:net';
import type { KernelRoute, NextHop, RouteOp, RouteSpec } from '../net/ip.js';

export type RouteType = 'unicast' | 'blackhole' | 'unreachable';

export interface DesiredRoute {
  /** Canonical CIDR: "10.244.1.0/24", "fd00:10:244:1::/64". */
  readonly dst: string;
  readonly type: RouteType;
  /** Next hops for unicast routes; several make an ECMP route. */
  readonly nexthops: readonly NextHop[];
}

export interface PlanOptions {
  readonly protocol: number;
  readonly table: number;
  /** Non-zero: the kernel turns an IPv6 metric of 0 into 1024, which would never read back equal. */
  readonly metric: number;
}

/** `ip -json` prints host routes without their length and 0/0 as "default". */
export function kernelDst(dst: string, family: 4 | 6): string {
  if (dst === 'default') return family === 4 ? '0.0.0.0/0' : '::/0';
  if (dst.includes('/')) return dst;
  return `${dst}/${family === 4 ? 32 : 128}`;
}

function hopKey(h: NextHop): string {
  return `${h.gateway ?? ''}|${h.dev ?? ''}|${h.onlink === true ? 'onlink' : ''}|${h.weight ?? 1}`;
}

function routeKey(r: DesiredRoute): string {
  const hops = r.type === 'unicast' ? [...r.nexthops].map(hopKey).sort().join(',') : '';
  return `${r.type}:${hops}`;
}

/**
 * Does the kernel's route already say what we want? A wanted next hop without a device is the
 * usual case (the kernel picks the device from its connected routes) and the kernel reads it back
 * with the device it chose: that is a match, not a difference. Comparing the raw keys instead
 * rewrote every route on every reconcile (10,000 replaces per change at 10,000 routes).
 */
function satisfies(have: DesiredRoute, want: DesiredRoute): boolean {
  if (have.type !== want.type) return false;
  if (want.type !== 'unicast') return true;
  const projected = have.nexthops.map((h) => {
    const w = want.nexthops.find((x) => x.gateway === h.gateway);
    if (w === undefined || w.dev !== undefined || h.dev === undefined) return h;
    const { dev: _d, ...rest } = h;
    return rest;
  });
  return routeKey({ ...have, nexthops: projected }) === routeKey(want);
}

/** What the kernel shows, in the same shape as a desired route. */
export function observedRoute(k: KernelRoute): DesiredRoute {
  // "default" says nothing about the family; an IPv6 multipath default has its gateways only in
  // the nexthops list.
  const gateways = [k.gateway, ...(k.nexthops ?? []).map((h) => h.gateway)];
  const family = k.dst.includes(':') || gateways.some((g) => isIP(g ?? '') === 6) ? 6 : 4;
  const type: RouteType = k.type === 'blackhole' || k.type === 'unreachable' ? k.type : 'unicast';
  let nexthops: NextHop[] = [];
  if (type === 'unicast') {
    nexthops =
      k.nexthops !== undefined && k.nexthops.length > 0
        ? k.nexthops.map((h) => ({
            ...(h.gateway !== undefined ? { gateway: h.gateway } : {}),
            ...(h.dev !== undefined ? { dev: h.dev } : {}),
            ...(h.flags.includes('onlink') ? { onlink: true } : {}),
            // ip prints the weight as given (1 when unset).
            ...(h.weight !== undefined && h.weight !== 1 ? { weight: h.weight } : {}),
          }))
        : [
            {
              ...(k.gateway !== undefined ? { gateway: k.gateway } : {}),
              ...(k.dev !== undefined ? { dev: k.dev } : {}),
              ...(k.flags.includes('onlink') ? { onlink: true } : {}),
            },
          ];
  }
  return { dst: kernelDst(k.dst, family), type, nexthops };
}

function normalise(r: DesiredRoute): DesiredRoute {
  // A single next hop's weight means nothing to the kernel and is not read back.
  if (r.nexthops.length !== 1) return r;
  const { weight: _w, ...h } = r.nexthops[0] as NextHop;
  return { ...r, nexthops: [h] };
}

function spec(r: DesiredRoute, o: PlanOptions): RouteSpec {
  return {
    dst: r.dst,
    type: r.type,
    ...(r.type === 'unicast' ? { nexthops: r.nexthops } : {}),
    protocol: o.protocol,
    table: o.table,
    metric: o.metric,
  };
}

/**
 * Ops that turn `observed` (our protocol's routes in our table) into `desired`: replace what is
 * missing or different, delete what is no longer wanted. Deterministic order: deletes, then
 * replaces, each sorted by destination.
 */
export function planRoutes(desired: readonly DesiredRoute[], observed: readonly KernelRoute[], o: PlanOptions): RouteOp[] {
  if (!Number.isInteger(o.metric) || o.metric < 1) throw new Error(`route metric must be a positive integer, got ${o.metric}`);
  const want = new Map<string, DesiredRoute>();
  for (const d of desired) want.set(d.dst, normalise(d));
  const have = new Map<string, DesiredRoute>();
  const dels: RouteOp[] = [];
  for (const k of observed) {
    const r = observedRoute(k);
    // ip -json omits a zero metric. Our routes with another metric are leftovers of an older
    // config: delete them by their own metric; the desired route is then added anew.
    const metric = k.metric ?? 0;
    if (metric !== o.metric) dels.push({ type: 'del', route: { dst: r.dst, protocol: o.protocol, table: o.table, metric } });
    else have.set(r.dst, r);
  }
  for (const r of have.values()) {
    // No type: ip sends a delete with RTN_UNSPEC, which matches blackhole and unicast alike.
    if (!want.has(r.dst)) dels.push({ type: 'del', route: { dst: r.dst, protocol: o.protocol, table: o.table, metric: o.metric } });
  }
  const replaces: RouteOp[] = [];
  for (const [dst, r] of want) {
    const cur = have.get(dst);
    if (cur === undefined || !satisfies(cur, r)) replaces.push({ type: 'replace', route: spec(r, o) });
  }
  const byDst = (a: RouteOp, b: RouteOp) => (a.route.dst < b.route.dst ? -1 : a.route.dst > b.route.dst ? 1 : 0);
  return [...dels.sort(byDst), ...replaces.sort(byDst)];
}

/** Our routes in the kernel (with our metric), by destination, as desired routes. */
export function observedMap(observed: readonly KernelRoute[], o: PlanOptions): Map<string, DesiredRoute> {
  const have = new Map<string, DesiredRoute>();
  for (const k of observed) if ((k.metric ?? 0) === o.metric) {
    const r = observedRoute(k);
    have.set(r.dst, r);
  }
  return have;
}

/**
 * The incremental plan: only `dsts` are looked at, against a kernel state known from the last
 * observation plus what was applied since (`have`). Same ops as planRoutes would give for them.
 */
export function planChanges(dsts: Iterable<string>, want: ReadonlyMap<string, DesiredRoute>, have: ReadonlyMap<string, DesiredRoute>, o: PlanOptions): RouteOp[] {
  const dels: RouteOp[] = [];
  const replaces: RouteOp[] = [];
  for (const dst of new Set(dsts)) {
    const w = want.get(dst);
    const h = have.get(dst);
    if (w === undefined) {
      if (h !== undefined) dels.push({ type: 'del', route: { dst, protocol: o.protocol, table: o.table, metric: o.metric } });
    } else if (h === undefined || !satisfies(h, normalise(w))) {
      replaces.push({ type: 'replace', route: spec(normalise(w), o) });
    }
  }
  const byDst = (a: RouteOp, b: RouteOp) => (a.route.dst < b.route.dst ? -1 : a.route.dst > b.route.dst ? 1 : 0);
  return [...dels.sort(byDst), ...replaces.sort(byDst)];
}

/** The kernel state after `ops` applied cleanly to `have` (mutates and returns it). */
export function afterOps(have: Map<string, DesiredRoute>, ops: readonly RouteOp[]): Map<string, DesiredRoute> {
  for (const op of ops) {
    if (op.type === 'del') have.delete(op.route.dst);
    else have.set(op.route.dst, { dst: op.route.dst, type: op.route.type ?? 'unicast', nexthops: op.route.nexthops ?? [] });
  }
  return have;
}

// The kernel FIB of a namespace, as the daemons' kernel protocols leave it: `ip -j route` minus
// connected routes, normalised (ip prints host routes without "/32" or "/128").

import type { Netns, World } from '../netns.js';
import type { Family } from './types.js';

export interface FibRoute {
  readonly prefix: string;
  readonly gateways: string[];
  /** "bird", "bgp" (zebra), ... */
  readonly protocol: string;
  readonly type: string;
}

type Json = Record<string, unknown>;

export function parseIpRouteJson(text: string, family: Family): FibRoute[] {
  const list = JSON.parse(text.trim() === '' ? '[]' : text) as unknown;
  if (!Array.isArray(list)) throw new Error('ip -j route: expected a list');
  const res: FibRoute[] = [];
  for (const raw of list as Json[]) {
    const protocol = typeof raw['protocol'] === 'string' ? raw['protocol'] : 'boot';
    if (protocol === 'kernel') continue;
    const dst = String(raw['dst']);
    const prefix = dst === 'default' ? (family === 4 ? '0.0.0.0/0' : '::/0') : dst.includes('/') ? dst : `${dst}/${family === 4 ? 32 : 128}`;
    // ECMP routes list their next hops under "nexthops" instead of "gateway".
    const hops = Array.isArray(raw['nexthops']) ? (raw['nexthops'] as Json[]) : [raw];
    const gateways = hops.map((h) => h['gateway']).filter((g): g is string => typeof g === 'string');
    res.push({ prefix, gateways, protocol, type: typeof raw['type'] === 'string' ? raw['type'] : 'unicast' });
  }
  return res;
}

export async function fibRoutes(world: World, ns: Netns, family: Family = 4): Promise<FibRoute[]> {
  const r = await world.exec(ns, ['ip', `-${family}`, '-j', 'route', 'show', 'table', 'main']);
  return parseIpRouteJson(r.stdout, family);
}

// Normalisers for FRR's vtysh JSON. Pure; golden-tested on recorded samples.
//
// Shapes (FRR 8.4):
// - `show bgp summary json`: {ipv4Unicast: {peers: {ADDR: {state, pfxRcd}}}, ipv6Unicast: ...}.
// - `show bgp ipvX unicast json detail`: {routes: {PREFIX: [header, path...]}}: the first element
//   is a header ({prefix, advertisedTo}), the rest are paths. (Without `detail` the paths lack
//   ORIGINATOR_ID and CLUSTER_LIST.)

import { canonicalState, realNextHops } from './common.js';
import type { RouterRoute, RouterSession } from './types.js';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

export function parseFrrSummary(text: string): RouterSession[] {
  const byPeer = new Map<string, RouterSession>();
  for (const af of Object.values(obj(JSON.parse(text === '' ? '{}' : text)))) {
    for (const [peer, raw] of Object.entries(obj(obj(af)['peers']))) {
      const p = obj(raw);
      const state = canonicalState(str(p['state']) ?? '');
      const before = byPeer.get(peer)?.prefixesReceived ?? 0;
      byPeer.set(peer, { peer, state, established: state === 'Established', prefixesReceived: before + (num(p['pfxRcd']) ?? 0) });
    }
  }
  return [...byPeer.values()];
}

function frrPath(prefix: string, p: Json): RouterRoute {
  const asPath: number[] = [];
  for (const seg of arr(obj(p['aspath'])['segments'])) for (const a of arr(obj(seg)['list'])) if (typeof a === 'number') asPath.push(a);
  const peerId = str(obj(p['peer'])['peerId']);
  const from = peerId === undefined || peerId === '0.0.0.0' || peerId === '::' ? undefined : peerId;
  const communities = arr(obj(p['community'])['list']).filter((c): c is string => typeof c === 'string');
  const clusterList = arr(obj(p['clusterList'])['list']).filter((c): c is string => typeof c === 'string');
  const localPref = num(p['locPrf']) ?? num(p['localpref']) ?? num(p['localPref']);
  const med = num(p['metric']) ?? num(p['med']);
  const originatorId = str(p['originatorId']);
  return {
    prefix,
    nextHops: realNextHops(arr(p['nexthops']).map((n) => str(obj(n)['ip']))),
    asPath,
    best: obj(p['bestpath'])['overall'] === true,
    ...(from !== undefined ? { from } : {}),
    ...(localPref !== undefined ? { localPref } : {}),
    ...(med !== undefined ? { med } : {}),
    ...(communities.length > 0 ? { communities } : {}),
    ...(originatorId !== undefined ? { originatorId } : {}),
    ...(clusterList.length > 0 ? { clusterList } : {}),
  };
}

export function parseFrrRoutes(text: string): RouterRoute[] {
  const res: RouterRoute[] = [];
  for (const [prefix, entries] of Object.entries(obj(obj(JSON.parse(text === '' ? '{}' : text))['routes']))) {
    for (const e of Array.isArray(entries) ? entries : [entries]) {
      const p = obj(e);
      // Skip the per-prefix header element (prefix + advertisedTo, no path attributes).
      if (p['nexthops'] === undefined && p['aspath'] === undefined) continue;
      res.push(frrPath(prefix, p));
    }
  }
  return res;
}

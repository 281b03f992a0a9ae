// Normalisers for `gobgp ... -j` JSON (GoBGP 3.x). Pure; golden-tested on recorded samples.
//
// Shapes: `neighbor -j` is a list of peers with state.session_state a number (6 = established) and
// per-family counters in afi_safis[].state; `global rib -a F -j` maps each prefix to its paths, whose
// attrs are a list of {type, ...} keyed by the BGP attribute type code.

import { canonicalState, parseCommunityNumber, realNextHops } from './common.js';
import type { RouterRoute, RouterSession, SessionState } from './types.js';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

const FSM = ['Unknown', 'Idle', 'Connect', 'Active', 'OpenSent', 'OpenConfirm', 'Established'] as const;

function gobgpState(v: unknown): SessionState {
  if (typeof v === 'number') return FSM[v] ?? 'Unknown';
  return canonicalState(str(v) ?? '');
}

export function parseGobgpNeighbors(text: string): RouterSession[] {
  return arr(JSON.parse(text.trim() === '' ? '[]' : text)).map((raw) => {
    const n = obj(raw);
    const st = obj(n['state']);
    const peer = str(st['neighbor_address']) ?? str(obj(n['conf'])['neighbor_address']) ?? '';
    const state = gobgpState(st['session_state']);
    let received = 0;
    for (const af of arr(st['afi_safis'] ?? n['afi_safis'])) received += num(obj(obj(af)['state'])['accepted']) ?? 0;
    return { peer, state, established: state === 'Established', prefixesReceived: received };
  });
}

function gobgpPath(prefix: string, p: Json): RouterRoute {
  let asPath: number[] = [];
  let nextHops: string[] = [];
  let localPref: number | undefined;
  let med: number | undefined;
  let communities: string[] | undefined;
  let originatorId: string | undefined;
  let clusterList: string[] | undefined;
  for (const raw of arr(p['attrs'])) {
    const a = obj(raw);
    switch (a['type']) {
      case 2: // AS_PATH
        asPath = arr(a['as_paths']).flatMap((s) => arr(obj(s)['asns']).filter((x): x is number => typeof x === 'number'));
        break;
      case 3: // NEXT_HOP
        nextHops = [str(a['nexthop']) ?? ''];
        break;
      case 4: // MULTI_EXIT_DISC
        med = num(a['metric']);
        break;
      case 5: // LOCAL_PREF
        localPref = num(a['value']);
        break;
      case 8: // COMMUNITIES
        communities = arr(a['communities']).filter((c): c is number => typeof c === 'number').map(parseCommunityNumber);
        break;
      case 9: // ORIGINATOR_ID
        originatorId = str(a['value']);
        break;
      case 10: // CLUSTER_LIST
        clusterList = arr(a['value']).filter((c): c is string => typeof c === 'string');
        break;
      case 14: // MP_REACH_NLRI: the IPv6 next hop (global, then link-local when present)
        nextHops = [str(a['nexthop']) ?? '', str(a['linklocal_nexthop']) ?? ''];
        break;
      default:
        break;
    }
  }
  const from = str(p['neighbor-ip']);
  return {
    prefix,
    nextHops: realNextHops(nextHops),
    asPath,
    best: p['best'] === true,
    ...(from !== undefined ? { from } : {}),
    ...(localPref !== undefined ? { localPref } : {}),
    ...(med !== undefined ? { med } : {}),
    ...(communities !== undefined && communities.length > 0 ? { communities } : {}),
    ...(originatorId !== undefined ? { originatorId } : {}),
    ...(clusterList !== undefined && clusterList.length > 0 ? { clusterList } : {}),
  };
}

export function parseGobgpRib(text: string): RouterRoute[] {
  const t = text.trim();
  if (t === '' || t === 'null') return [];
  const res: RouterRoute[] = [];
  for (const [prefix, paths] of Object.entries(obj(JSON.parse(t)))) for (const p of arr(paths)) res.push(gobgpPath(prefix, obj(p)));
  return res;
}

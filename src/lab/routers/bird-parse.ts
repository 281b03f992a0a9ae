// Normalisers for birdc text output (BIRD 2.0.x has no JSON). Pure; golden-tested on recorded
// samples in test/interop/fixtures/.

import { canonicalState, realNextHops } from './common.js';
import type { RouterRoute, RouterSession } from './types.js';

const NOISE = /^(BIRD \S+ ready\.|Table \S+:|Name\s+Proto\s+Table)/;

/** `show protocols all` -> the BGP sessions. */
export function parseBirdProtocols(text: string): RouterSession[] {
  const res: { peer: string; state: string; info: string; received: number }[] = [];
  let cur: (typeof res)[number] | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '' || NOISE.test(line)) continue;
    if (!/^\s/.test(line)) {
      // "peer0      BGP        ---        up     23:52:40.559  Established"
      const cols = line.trim().split(/\s+/);
      cur = cols[1] === 'BGP' ? { peer: '', state: '', info: cols.slice(5).join(' '), received: 0 } : undefined;
      if (cur !== undefined) res.push(cur);
      continue;
    }
    if (cur === undefined) continue;
    let m: RegExpExecArray | null;
    if ((m = /^\s+BGP state:\s+(\S+)/.exec(line)) !== null) cur.state = m[1] ?? '';
    else if ((m = /^\s+Neighbor address:\s+(\S+)/.exec(line)) !== null) cur.peer = m[1] ?? '';
    else if ((m = /^\s+Routes:\s+(\d+) imported/.exec(line)) !== null) cur.received += Number(m[1]);
  }
  return res.map((r) => {
    const state = canonicalState(r.state !== '' ? r.state : r.info);
    return { peer: r.peer, state, established: state === 'Established', prefixesReceived: r.received };
  });
}

interface MutableRoute {
  prefix: string;
  nextHops: string[];
  gateways: string[];
  asPath: number[];
  localPref?: number;
  med?: number;
  communities?: string[];
  originatorId?: string;
  clusterList?: string[];
  best: boolean;
  from?: string;
}

// "10.2.20.0/24  unicast [peer0 2026-11-22 23:52:45.431] * (100) [AS65002?]" or, for a second
// path of the same prefix, the same without the prefix. iBGP paths add "from 10.0.0.1".
const HEAD = /^(\S+)?\s+(unicast|blackhole|unreachable|prohibited)\s+\[(\S+)\s+([^\]]*)\]\s*(\*)?\s*\(\d+/;

/** `show route all [table T]` -> Loc-RIB paths. `peers` maps protocol names to neighbor addresses. */
export function parseBirdRoutes(text: string, peers: ReadonlyMap<string, string> = new Map()): RouterRoute[] {
  const res: MutableRoute[] = [];
  let prefix = '';
  let cur: MutableRoute | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '' || NOISE.test(line)) continue;
    const h = HEAD.exec(line);
    if (h !== null) {
      if (h[1] !== undefined) prefix = h[1];
      const proto = h[3] ?? '';
      const from = peers.get(proto) ?? /from (\S+)/.exec(h[4] ?? '')?.[1];
      cur = { prefix, nextHops: [], gateways: [], asPath: [], best: h[5] === '*', ...(from !== undefined ? { from } : {}) };
      res.push(cur);
      continue;
    }
    if (cur === undefined) continue;
    const via = /^\s+via (\S+)/.exec(line);
    if (via?.[1] !== undefined) {
      cur.gateways.push(via[1]);
      continue;
    }
    const a = /^\s+BGP\.(\w+):\s*(.*)$/.exec(line);
    if (a === null) continue;
    const key = a[1] ?? '';
    const v = (a[2] ?? '').trim();
    switch (key) {
      case 'as_path':
        // AS_SETs print as "{ 1 2 }"; keep the numbers in order.
        cur.asPath = v === '' ? [] : v.split(/\s+/).filter((x) => /^\d+$/.test(x)).map(Number);
        break;
      case 'next_hop':
        cur.nextHops = v.split(/\s+/);
        break;
      case 'med':
        cur.med = Number(v);
        break;
      case 'local_pref':
        cur.localPref = Number(v);
        break;
      case 'community':
        cur.communities = [...v.matchAll(/\((\d+),\s*(\d+)\)/g)].map((c) => `${c[1]}:${c[2]}`);
        break;
      case 'originator_id':
        cur.originatorId = v;
        break;
      case 'cluster_list':
        cur.clusterList = v.split(/\s+/);
        break;
      default:
        break;
    }
  }
  return res.map(({ gateways, nextHops, ...r }) => ({
    ...r,
    // Static routes have no BGP.next_hop; their gateway is the next hop they will be sent with.
    nextHops: realNextHops(nextHops.length > 0 ? nextHops : gateways),
  }));
}

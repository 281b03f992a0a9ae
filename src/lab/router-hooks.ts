// The lab's external router (tor: a ToR over eBGP from its loopback; rr: a route reflector on the
// nodes' segment), from routers/router.ts. A node joining or leaving rewrites its neighbor list:
// the router is restarted with the new one (its sessions to the other nodes flap once; the
// nodes keep forwarding on their installed routes meanwhile, fail static).

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { addVeth } from '../net/netns.js';
import { BRIDGE, createNetns, nsName, SWITCH, TOR, type LabEnv } from './nodes.js';
import { NODE_ASN, RR_ADDRESS4, RR_ADDRESS6, TOR_ASN, TOR_LOOPBACK4, TOR_LOOPBACK6 } from './plan.js';
import { routerSessions, rrConfig, startRouter, stopRouter, torConfig, type RouterHandle, type RouterKind } from './routers/router.js';
import type { RouterConfig } from './routers/types.js';
import { writeState, type LabRouterState, type LabState } from './state.js';

const RR = 'rr';

export function labRouterNeeded(s: LabState): boolean {
  return s.topology === 'tor' || (s.topology === 'rr' && s.router !== 'meridian');
}

function config(s: LabState): RouterConfig {
  const addrs = (n: LabState['nodes'][number]): string[] => [n.plan.ip4, ...(n.plan.ip6 !== undefined ? [n.plan.ip6] : [])];
  if (s.topology === 'tor') {
    return torConfig({
      routerId: TOR_LOOPBACK4,
      asn: TOR_ASN,
      loopback: { 4: TOR_LOOPBACK4, ...(s.ipv6 ? { 6: TOR_LOOPBACK6 } : {}) },
      nodes: s.nodes.flatMap((n) => addrs(n).map((address) => ({ address, asn: n.plan.asn }))),
    });
  }
  return rrConfig({ routerId: RR_ADDRESS4, asn: NODE_ASN, clients: s.nodes.flatMap(addrs) });
}

const handleOf = (r: LabRouterState): RouterHandle => ({ kind: r.kind, netns: r.netns, dir: r.dir, daemons: r.daemons });

async function start(env: LabEnv, s: LabState, netns: string): Promise<void> {
  const dir = join(env.dir, 'router');
  mkdirSync(dir, { recursive: true });
  // Recorded as soon as it runs, so `lab down` stops it even if up fails right after.
  const h = await startRouter(s.router as RouterKind, { ...config(s), netns, dir });
  s.routerDaemon = { kind: h.kind, netns, dir, daemons: [...h.daemons] };
  writeState(env.dir, s);
}

/** Start the router (the ToR namespace exists already; the reflector gets one on the segment). */
export async function startLabRouter(env: LabEnv, s: LabState): Promise<void> {
  let netns = nsName(s, TOR);
  if (s.topology === 'rr') {
    netns = nsName(s, RR);
    await createNetns(env, s, netns);
    await addVeth(
      env.run,
      { netns, name: 'uplink', addrs: [`${RR_ADDRESS4}/24`, ...(s.ipv6 ? [`${RR_ADDRESS6}/64`] : [])] },
      { netns: nsName(s, SWITCH), name: 'prr', master: BRIDGE },
    );
  }
  await start(env, s, netns);
}

export async function reconfigureRouter(env: LabEnv, s: LabState): Promise<void> {
  const r = s.routerDaemon;
  if (r === undefined) return startLabRouter(env, s);
  await stopRouter(handleOf(r));
  await start(env, s, r.netns);
}

export async function stopLabRouter(r: LabRouterState): Promise<void> {
  await stopRouter(handleOf(r));
}

export async function routerStatus(r: LabRouterState): Promise<{ peer: string; state: string }[]> {
  return (await routerSessions(handleOf(r))).map((x) => ({ peer: x.peer, state: x.state }));
}

// The lab's external router (tor: a ToR over eBGP; rr: a route reflector), built on
// routers/router.ts. Node changes rewrite its neighbor list and restart it.

import { join } from 'node:path';
import type { LabEnv } from './nodes.js';
import type { LabRouterState, LabState } from './state.js';

export function labRouterNeeded(s: LabState): boolean {
  return s.topology === 'tor' || (s.topology === 'rr' && s.router !== 'meridian');
}

export async function startLabRouter(env: LabEnv, s: LabState): Promise<void> {
  void join;
  void env;
  void s;
  throw new Error('routers: pending merge');
}

export async function reconfigureRouter(env: LabEnv, s: LabState): Promise<void> {
  void env;
  void s;
  throw new Error('routers: pending merge');
}

export async function stopLabRouter(r: LabRouterState): Promise<void> {
  void r;
  throw new Error('routers: pending merge');
}

export async function routerStatus(r: LabRouterState): Promise<{ peer: string; state: string }[]> {
  void r;
  throw new Error('routers: pending merge');
}

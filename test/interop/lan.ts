// One L2 segment for interop tests: a bridge in its own namespace and one namespace per host,
// host i (from 0) at 10.0.0.(i+1)/24 and fd00::(i+1)/64.

import type { Netns, World } from '../harness/netns.js';

export interface LanHost {
  readonly ns: Netns;
  readonly v4: string;
  readonly v6: string;
}

export async function lan(w: World, roles: readonly string[]): Promise<LanHost[]> {
  const br = await w.bridge(await w.netns('switch'));
  const hosts: LanHost[] = [];
  for (const [i, role] of roles.entries()) {
    const ns = await w.netns(role);
    const h = { ns, v4: `10.0.0.${i + 1}`, v6: `fd00::${i + 1}` };
    await w.attach(ns, br, { addr: [`${h.v4}/24`, `${h.v6}/64`] });
    hosts.push(h);
  }
  return hosts;
}

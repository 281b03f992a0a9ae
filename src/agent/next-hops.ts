// Kernel next hops for BGP next hops (src/routes/next-hop.ts says how), cached per next hop. A
// next hop inside one of the node's connected subnets is used as it is and known at once, with no
// exec: that is every next hop of a mesh on one segment and of a ToR on the node's link, so the
// route feed is programmed without waiting on a child process (during a table load the event
// loop is busy and an exec's completion can wait seconds). Anything else costs one
// `ip route get` the first time it is seen.

import { isIP } from 'node:net';
import { listAddresses, routeGet } from '../net/ip.js';
import type { Runner } from '../net/runner.js';
import { cidrContains, parseCidr, parseIp, type Cidr } from '../policy/cidr.js';
import { resolveNextHop, type ResolvedNextHop } from '../routes/next-hop.js';

export class NextHopResolver {
  private readonly cache = new Map<string, ResolvedNextHop>();
  private connected: Cidr[] | undefined;
  private readonly run: Runner;
  private readonly netns: string | undefined;
  private readonly onResolved: (nh: string, r: ResolvedNextHop) => void;

  constructor(deps: { run: Runner; netns: string | undefined; onResolved?: (nh: string, r: ResolvedNextHop) => void }) {
    this.run = deps.run;
    this.netns = deps.netns;
    this.onResolved = deps.onResolved ?? (() => undefined);
  }

  /** Read the node's connected subnets (global and link scope addresses). */
  async refreshConnected(): Promise<void> {
    const links = await listAddresses(this.run, { netns: this.netns });
    const out: Cidr[] = [];
    for (const l of links) {
      for (const a of l.addr_info) {
        if (a.scope === 'host') continue;
        const c = parseCidr(`${a.local}/${a.prefixlen}`);
        if (c !== undefined) out.push(c);
      }
    }
    this.connected = out;
  }

  /** Forget everything (addresses or routes changed, or the kernel refused a route). */
  clear(): void {
    this.cache.clear();
    this.connected = undefined;
  }

  get map(): ReadonlyMap<string, ResolvedNextHop> {
    return this.cache;
  }

  /** Known now (cached, or on a connected subnet, which is then cached)? Never execs. */
  known(nh: string): boolean {
    if (this.cache.has(nh)) return true;
    const ip = parseIp(nh);
    if (ip === undefined || this.connected === undefined) return false;
    if (!this.connected.some((c) => cidrContains(c, ip.family, ip.addr))) return false;
    this.cache.set(nh, { type: 'hop', hop: { gateway: nh } });
    return true;
  }

  /** Make every one of `nhs` known, asking the kernel for those not on a connected subnet. */
  async resolveAll(nhs: Iterable<string>): Promise<void> {
    if (this.connected === undefined) await this.refreshConnected();
    const missing = [...new Set(nhs)].filter((nh) => isIP(nh) !== 0 && !this.known(nh));
    await Promise.all(
      missing.map(async (nh) => {
        const r = resolveNextHop(nh, await routeGet(this.run, nh, { netns: this.netns }));
        this.cache.set(nh, r);
        this.onResolved(nh, r);
      }),
    );
  }
}

// The node's uplink MTU from what `ip -json` prints, pure (wiring.ts reads the kernel). The agent
// installs ECMP default routes, which iproute2 prints with no top-level `dev`, only
// `nexthops[].dev`: {"dst":"default","nexthops":[{"gateway":…,"dev":"eth0",…},{…,"dev":"eth1",…}]}.

/** The fields of an `ip -json route` row this reads. */
export interface RouteRow {
  readonly dst?: string;
  readonly dev?: string;
  readonly nexthops?: readonly { readonly dev?: string }[];
}

export interface LinkRow {
  readonly ifname: string;
  readonly mtu: number;
}

export const DEFAULT_MTU = 1500;

/** The devices a route sends through: its `dev`, or every next hop's. */
export function routeDevices(r: RouteRow): string[] {
  if (r.dev !== undefined) return [r.dev];
  return (r.nexthops ?? []).flatMap((h) => (h.dev !== undefined ? [h.dev] : []));
}

/**
 * The MTU pods should use: the smallest MTU among the devices of the first IPv4 default route
 * that has any (every next hop of a multipath one, since a flow may hash onto any of them), else
 * of the IPv6 one, else 1500.
 */
export function uplinkMtu(defaults4: readonly RouteRow[], defaults6: readonly RouteRow[], links: readonly LinkRow[]): number {
  for (const r of [...defaults4, ...defaults6]) {
    const mtus = routeDevices(r).flatMap((d) => links.filter((l) => l.ifname === d).map((l) => l.mtu));
    if (mtus.length > 0) return Math.min(...mtus);
  }
  return DEFAULT_MTU;
}

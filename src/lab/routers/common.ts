// Shared by the three daemons' renderers and parsers: option checks and the small normalisations
// every parser needs. Pure.

import { isIP } from 'node:net';
import type { Family, RouterConfig, RouterNeighbor, SessionState } from './types.js';

/** Connect-retry timer used by every generated config, so sessions come up in a few seconds. */
export const CONNECT_RETRY_S = 2;

export function familyOf(address: string): Family {
  const v = isIP(address.split('/')[0] ?? '');
  if (v === 0) throw new Error(`not an IP address or prefix: ${address}`);
  return v === 6 ? 6 : 4;
}

export function isEbgp(opts: RouterConfig, n: RouterNeighbor): boolean {
  return n.asn !== opts.asn;
}

/** Hold time of a neighbor (undefined: the daemon's default) and the keepalive that goes with it. */
export function timersOf(opts: RouterConfig, n: RouterNeighbor): { hold: number; keepalive: number } | undefined {
  const hold = n.holdTime ?? opts.holdTime;
  if (hold === undefined) return undefined;
  return { hold, keepalive: Math.max(1, Math.floor(hold / 3)) };
}

export function clusterIdOf(opts: RouterConfig): string {
  return opts.routeReflector?.clusterId ?? opts.routerId;
}

/** Does this neighbor get route-reflector-client treatment? (iBGP only, and only on an RR.) */
export function isRrClient(opts: RouterConfig, n: RouterNeighbor): boolean {
  return opts.routeReflector !== undefined && n.rrClient === true && !isEbgp(opts, n);
}

/** Reject option combinations the renderers would otherwise turn into a config that silently differs. */
export function validateOptions(opts: RouterConfig): void {
  if (familyOf(opts.routerId) !== 4) throw new Error(`router id must be a dotted quad: ${opts.routerId}`);
  const seen = new Set<string>();
  for (const n of opts.neighbors) {
    if (seen.has(n.address)) throw new Error(`duplicate neighbor ${n.address}`);
    seen.add(n.address);
    if (familyOf(n.address) === 6 && opts.ipv6 !== true) throw new Error(`IPv6 neighbor ${n.address} needs ipv6: true`);
    if (n.rrClient === true && opts.routeReflector === undefined) throw new Error(`rrClient ${n.address} needs routeReflector`);
    if (n.rrClient === true && isEbgp(opts, n)) throw new Error(`rrClient ${n.address} must be iBGP`);
    // One word that needs no quoting in any of the three config languages.
    if (n.password !== undefined && !/^[!#-[\]-~]{1,80}$/.test(n.password)) throw new Error(`password of ${n.address}: use 1-80 printable characters without spaces, quotes or backslashes`);
    if (n.localAddress !== undefined && familyOf(n.localAddress) !== familyOf(n.address)) {
      throw new Error(`localAddress ${n.localAddress} is not of the family of ${n.address}`);
    }
  }
}

/** "0.0.0.0" and "::" mean "myself" in local paths; the normalised route lists no next hop then. */
export function realNextHops(hops: readonly (string | undefined | null)[]): string[] {
  return hops.filter((h): h is string => typeof h === 'string' && h !== '' && h !== '0.0.0.0' && h !== '::');
}

const STATES: Record<string, SessionState> = {
  idle: 'Idle',
  connect: 'Connect',
  active: 'Active',
  opensent: 'OpenSent',
  openconfirm: 'OpenConfirm',
  established: 'Established',
};

/** Map a daemon's spelling of an FSM state ("Established", "ESTABLISHED", "Idle (Admin)") to RFC 4271's. */
export function canonicalState(s: string): SessionState {
  const key = s.toLowerCase().replace(/\s*\(.*\)$/, '').replace(/[^a-z]/g, '');
  return STATES[key] ?? 'Unknown';
}

export function parseCommunityNumber(c: number): string {
  return `${Math.floor(c / 65536)}:${c % 65536}`;
}

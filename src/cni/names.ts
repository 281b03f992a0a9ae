// Every name and fixed value meridian-cni puts in the kernel or on disk, in one place, so that what
// it made is recognisable after a restart (DESIGN.md "Names in the kernel").

import { createHash } from 'node:crypto';

/**
 * Host-side veth prefix. Linux interface names fit IFNAMSIZ = 16 bytes including the NUL, so 15
 * characters: "mrd" (3) + 12 hex digits (48 bits) of sha256(containerID "/" ifname). For a
 * thousand pods on a node the chance that two share a name is about n^2 / 2^49 = 2e-9. The name
 * depends only on the attachment's identity, so DEL, CHECK and GC find the veth without prevResult
 * (libcni's cache can be lost), and a stale one left by a killed ADD is found and replaced.
 */
export const HOST_VETH_PREFIX = 'mrd';
const HASH_HEX = 15 - HOST_VETH_PREFIX.length;

function digest(containerId: string, ifname: string): string {
  return createHash('sha256').update(`${containerId}/${ifname}`).digest('hex');
}

export function hostVethName(containerId: string, ifname: string): string {
  return HOST_VETH_PREFIX + digest(containerId, ifname).slice(0, HASH_HEX);
}

/**
 * The pod end's MAC, fixed per attachment so the result can report it without reading it back.
 * 0x0a as first octet: the locally administered bit set and the multicast bit clear (IEEE 802
 * section 8.2.2), and never equal to HOST_MAC.
 */
export function podMac(containerId: string, ifname: string): string {
  const h = digest(containerId, ifname).slice(HASH_HEX, HASH_HEX + 10);
  return ['0a', ...(h.match(/../g) ?? [])].join(':');
}

/**
 * The host end's MAC, the same on every veth (as Calico does): the pod's gateway MAC never changes,
 * and the host veth's EUI-64 link-local (RFC 4291 appendix A: flip the U/L bit of 0xee, insert
 * ff:fe) is always GATEWAY_V6.
 */
export const HOST_MAC = 'ee:ee:ee:ee:ee:ee';
/** IPv4 gateway of every pod: owned by nobody, answered by proxy ARP on the host veth (RFC 3927 link-local). */
export const GATEWAY_V4 = '169.254.1.1';
export const GATEWAY_V6 = 'fe80::ecee:eeff:feee:eeee';

/**
 * Route protocol of the host routes to pods (rtnetlink protocol numbers are free above 4 and
 * unassigned from 44 upwards). The agent's BGP routes use 180; pod routes use their own number so
 * the agent's route reconcile, which rewrites everything with 180, never touches them.
 */
export const ROUTE_PROTOCOL_POD = 181;

/** Where the agent writes what this node owns (podCIDRs); read when a range says "usePodCidr". */
export const DEFAULT_NODE_FILE = '/var/lib/meridian/node.json';
/** IPAM state: <dataDir>/<network name>/{allocations.json,lock}. */
export const DEFAULT_IPAM_DIR = '/var/lib/meridian/ipam';
export const USE_POD_CIDR = 'usePodCidr';

// Every name and fixed value meridian-cni puts in the kernel or on disk, in one place, so that what
// it made is recognisable after a restart (DESIGN.md "Names in the kernel").

import { createHash } from 'node:crypto';
import type { PodRef } from './cni-args.js';
import { HOST_VETH_PREFIX, IFNAME_MAX, podVethName } from './pod-veth-name.js';

export { HOST_VETH_PREFIX } from './pod-veth-name.js';

/** The pod's primary interface as kubelet names it; only it gets the pod-identity veth name. */
export const PRIMARY_IFNAME = 'eth0';
const HASH_HEX = IFNAME_MAX - HOST_VETH_PREFIX.length;

function digest(containerId: string, ifname: string): string {
  return createHash('sha256').update(`${containerId}/${ifname}`).digest('hex');
}

/**
 * Host-side veth name of an attachment made without Kubernetes pod identity (no K8S_POD_* in
 * CNI_ARGS), and of every attachment recorded before names followed the pod: "mrd" + 12 hex of
 * sha256(containerID "/" ifname).
 */
export function containerVethName(containerId: string, ifname: string): string {
  return HOST_VETH_PREFIX + digest(containerId, ifname).slice(0, HASH_HEX);
}

/**
 * The host-side veth name for a new attachment. 15 characters (IFNAMSIZ), always "mrd" + 12 hex.
 * - Kubernetes pod, interface eth0: podVethName(namespace, name), the name the policy engine
 *   derives from the Pod object (src/policy/names.ts), so it finds the veth with no container ID.
 * - Kubernetes pod, any other interface (a second network on the same pod): the pod-identity name
 *   would collide with eth0's, so the ifname goes into the hash: sha256(namespace "." name "/"
 *   ifname). Still derivable from the pod, but the policy engine does not look for it: it polices
 *   the primary interface only.
 * - No pod identity (a non-Kubernetes runtime): containerVethName.
 * A new sandbox of the same pod gets the same eth0 name as the old one; ADD replaces a leftover
 * veth, and DEL/GC/sweep tell the owners apart through the IPAM records (host-veths.ts).
 * The name is recorded in each allocation, so DEL, CHECK, GC and the sweep find it from the record
 * even when CNI_ARGS is not repeated; records without it fall back to containerVethName.
 */
export function hostVethName(a: { readonly containerId: string; readonly ifname: string; readonly pod: PodRef | undefined }): string {
  if (a.pod === undefined) return containerVethName(a.containerId, a.ifname);
  if (a.ifname === PRIMARY_IFNAME) return podVethName(a.pod.namespace, a.pod.name);
  return podVethName(a.pod.namespace, `${a.pod.name}/${a.ifname}`);
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

/**
 * Where the agent writes what this node owns (podCIDRs); read when a range says "usePodCidr". On
 * /run, which a reboot empties: the agent writes it only once this boot's policy rules are in the
 * kernel, and until then the plugin answers "try again later", so no pod starts unprotected.
 */
export const DEFAULT_NODE_FILE = '/var/run/meridian/node.json';
/** IPAM state: <dataDir>/<network name>/{allocations.json,lock}. */
export const DEFAULT_IPAM_DIR = '/var/lib/meridian/ipam';
export const USE_POD_CIDR = 'usePodCidr';

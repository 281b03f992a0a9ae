// The host-side veth name of a Kubernetes pod, from its identity alone. Shared by the CNI plugin
// (which creates the veth) and the policy engine (which finds it from the Pod object, never seeing
// container IDs), so both must compute it here. Pure, and imports only node:crypto: it sits in the
// plugin bundle, which is started once per pod per verb.
//
// Length: IFNAMSIZ is 16 bytes with the NUL, so 15 characters: "mrd" (3) + 12 hex digits of
// sha256("<namespace>.<name>"). 48 bits: for a thousand pods on a node the chance that two share a
// name is about n^2 / 2^49 = 2e-9. The "." join is unambiguous because a namespace is a DNS label
// (no dots). Calico names its "cali" veths the same way.

import { createHash } from 'node:crypto';

/** Host-side veth prefix; the policy engine's dispatch chains match `mrd+`. */
export const HOST_VETH_PREFIX = 'mrd';

/** IFNAMSIZ (16) minus the NUL. */
export const IFNAME_MAX = 15;

export interface PodVethNameOptions {
  /** Another prefix (the policy engine's ifacePrefix option); the hash fills up to 15 characters. */
  readonly prefix?: string;
}

export function podVethName(namespace: string, name: string, opts: PodVethNameOptions = {}): string {
  const prefix = opts.prefix ?? HOST_VETH_PREFIX;
  const hex = createHash('sha256').update(`${namespace}.${name}`).digest('hex');
  return prefix + hex.slice(0, IFNAME_MAX - prefix.length);
}

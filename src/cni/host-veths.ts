// Which host veth an IPAM record names, and which attachment owns a name. Pure.
//
// Since host veths are named after the pod (names.ts), two sandboxes of one pod share a name: when
// kubelet recreates a pod's sandbox, the new ADD may run before the old sandbox's DEL (kubelet
// restart, a DEL that failed and is retried by the runtime's GC). ADD then replaces the old veth,
// and both attachments' records name it. The veth belongs to the newest record that names it: the
// last ADD wired it. So the old sandbox's DEL, GC and sweep leave it alone, and the sweep treats the
// old record's veth as gone.

import type { Attachment } from './conf.js';
import { isRecovered, RECOVERED_CONTAINER_ID, type Allocation, type IpamState } from './ipam/allocator.js';
import { sameIp } from './ip-addr.js';
import { containerVethName } from './names.js';

/** The veth a record names; records written before names were recorded used the container-ID name. */
export function hostVethOf(a: Allocation): string {
  return a.hostVeth ?? containerVethName(a.containerId, a.ifname);
}

/** The attachment whose newest record names `veth` (ties: the later record in the file), if any. */
export function vethOwner(state: IpamState, veth: string): Attachment | undefined {
  let best: Allocation | undefined;
  for (const a of state.allocations) if (hostVethOf(a) === veth && (best === undefined || a.at >= best.at)) best = a;
  return best === undefined ? undefined : { containerId: best.containerId, ifname: best.ifname };
}

/**
 * Whether `who` may delete `veth`: it owns it, or no record names it. A record rebuilt from the
 * kernel (ipam/recover.ts) owns its veth for a container nobody knows; `who` may delete such a
 * veth only when its own ADD result (`resultIps`, from prevResult) lists every address routed to
 * it. Otherwise the veth may be a newer sandbox's of the same pod, and is left to the runtime's
 * netns removal (which takes the pair with it) and the sweep.
 */
export function mayDeleteVeth(state: IpamState, veth: string, who: Attachment, resultIps?: readonly string[]): boolean {
  const o = vethOwner(state, veth);
  if (o === undefined || (o.containerId === who.containerId && o.ifname === who.ifname)) return true;
  if (o.containerId !== RECOVERED_CONTAINER_ID || resultIps === undefined) return false;
  const routed = state.allocations.filter((a) => isRecovered(a) && hostVethOf(a) === veth);
  return routed.every((a) => resultIps.some((ip) => sameIp(ip, a.ip)));
}

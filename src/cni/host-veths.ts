// Which host veth an IPAM record names, and which attachment owns a name. Pure.
//
// Since host veths are named after the pod (names.ts), two sandboxes of one pod share a name: when
// kubelet recreates a pod's sandbox, the new ADD may run before the old sandbox's DEL (kubelet
// restart, a DEL that failed and is retried by the runtime's GC). ADD then replaces the old veth,
// and both attachments' records name it. The veth belongs to the newest record that names it: the
// last ADD wired it. So the old sandbox's DEL, GC and sweep leave it alone, and the sweep treats the
// old record's veth as gone.

import type { Attachment } from './conf.js';
import type { Allocation, IpamState } from './ipam/allocator.js';
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

/** Whether `who` may delete `veth`: it owns it, or no record names it. */
export function mayDeleteVeth(state: IpamState, veth: string, who: Attachment): boolean {
  const o = vethOwner(state, veth);
  return o === undefined || (o.containerId === who.containerId && o.ifname === who.ifname);
}

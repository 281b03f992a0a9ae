// DEL: best effort and idempotent (SPEC.md DEL). The veth is found by the name recorded with the
// attachment's addresses; with no record left, by the names ADD would derive and the host
// interface prevResult lists. So neither prevResult nor the netns is needed; a missing veth,
// netns or allocation is success. The veth goes first: an address is never free for reuse while
// a route still points at the old pod. A veth that a newer sandbox of the same pod now owns is
// left alone (host-veths.ts). A corrupt state file is moved aside and rebuilt (readOrRecover), so
// DEL still succeeds instead of failing on every retry.

import type { AttachmentRequest } from './attachment.js';
import { readOrRecover } from './attachment.js';
import { parseMeridianConf } from './conf.js';
import type { Deps } from './deps.js';
import { hostVethOf, mayDeleteVeth } from './host-veths.js';
import { allocationsOf, isRecovered, releaseWhere, type Allocation } from './ipam/allocator.js';
import { containerVethName, HOST_VETH_PREFIX, hostVethName } from './names.js';
import { IFNAME_MAX } from './pod-veth-name.js';
import { findAttachment, parsePrevResult } from './result.js';
import { hostVethExists, unwire } from './wiring.js';

/** The host veth and pod addresses our ADD reported, from prevResult (the runtime's cache). */
function fromPrevResult(req: AttachmentRequest, prevResult: unknown): { hostVeth: string | undefined; ips: string[] } | undefined {
  const prev = parsePrevResult(prevResult);
  const mine = prev === undefined ? undefined : findAttachment(prev, req.ifname, req.netns);
  if (mine === undefined) return undefined;
  const name = mine.hostIface?.name;
  // Only a name this plugin could have made: prevResult is input, never a licence to delete
  // another plugin's interface.
  const ours = name !== undefined && name.startsWith(HOST_VETH_PREFIX) && name.length <= IFNAME_MAX;
  return { hostVeth: ours ? name : undefined, ips: mine.ips.map((ip) => ip.address.split('/')[0] ?? '') };
}

export async function cmdDel(req: AttachmentRequest, deps: Deps): Promise<undefined> {
  const conf = parseMeridianConf(req.conf);
  const who = { containerId: req.containerId, ifname: req.ifname };
  const store = deps.store(conf);
  // Lock-free snapshot (writes are atomic renames): enough to name the veth and see who owns it.
  const state = await readOrRecover(store, deps);
  const reported = fromPrevResult(req, conf.prevResult);
  const recorded = allocationsOf(state, who).map(hostVethOf);
  const candidates =
    recorded.length > 0
      ? recorded
      : [hostVethName(req), containerVethName(req.containerId, req.ifname), ...(reported?.hostVeth !== undefined ? [reported.hostVeth] : [])];
  const ours = [...new Set(candidates)].filter((name) => mayDeleteVeth(state, name, who, reported?.ips));
  for (const name of ours) {
    // The existence probe reads /proc (no exec); `ip link del` costs one.
    if (await hostVethExists(name)) await unwire(deps.run, name);
  }
  await store.update((s) => {
    // Also the rebuilt records of a veth just found to be ours: its addresses are free now.
    const mine = (a: Allocation): boolean =>
      (a.containerId === who.containerId && a.ifname === who.ifname) || (isRecovered(a) && ours.includes(hostVethOf(a)));
    const r = releaseWhere(s, mine);
    return r.released.length > 0 ? { state: r.state, value: undefined } : { value: undefined };
  });
  return undefined;
}

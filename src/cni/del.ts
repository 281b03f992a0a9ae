// DEL: best effort and idempotent (SPEC.md DEL). The veth is found by the name recorded with the
// attachment's addresses (or, with no record left, by the name ADD would derive), so neither
// prevResult nor the netns is needed; a missing veth, netns or allocation is success. The veth goes
// first: an address is never free for reuse while a route still points at the old pod. A veth
// that a newer sandbox of the same pod now owns is left alone (host-veths.ts).

import type { AttachmentRequest } from './attachment.js';
import { parseMeridianConf } from './conf.js';
import type { Deps } from './deps.js';
import { hostVethOf, mayDeleteVeth } from './host-veths.js';
import { allocationsOf, releaseAttachment } from './ipam/allocator.js';
import { containerVethName, hostVethName } from './names.js';
import { hostVethExists, unwire } from './wiring.js';

export async function cmdDel(req: AttachmentRequest, deps: Deps): Promise<undefined> {
  const conf = parseMeridianConf(req.conf);
  const who = { containerId: req.containerId, ifname: req.ifname };
  const store = deps.store(conf);
  // Lock-free snapshot (writes are atomic renames): enough to name the veth and see who owns it.
  const state = await store.read();
  const recorded = allocationsOf(state, who).map(hostVethOf);
  const names = new Set(recorded.length > 0 ? recorded : [hostVethName(req), containerVethName(req.containerId, req.ifname)]);
  for (const name of names) {
    // The existence probe reads /proc (no exec); `ip link del` costs one.
    if (mayDeleteVeth(state, name, who) && (await hostVethExists(name))) await unwire(deps.run, name);
  }
  await store.update((s) => {
    const r = releaseAttachment(s, who);
    return r.released.length > 0 ? { state: r.state, value: undefined } : { value: undefined };
  });
  return undefined;
}

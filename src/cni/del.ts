// DEL: best effort and idempotent (SPEC.md DEL). The veth is found by its deterministic name, so
// neither prevResult nor the netns is needed; a missing veth, netns or allocation is success. The
// veth goes first: an address is never free for reuse while a route still points at the old pod.

import type { AttachmentRequest } from './attachment.js';
import { parseMeridianConf } from './conf.js';
import type { Deps } from './deps.js';
import { releaseAttachment } from './ipam/allocator.js';
import { hostVethName } from './names.js';
import { unwire } from './wiring.js';

export async function cmdDel(req: AttachmentRequest, deps: Deps): Promise<undefined> {
  const conf = parseMeridianConf(req.conf);
  await unwire(deps.run, hostVethName(req.containerId, req.ifname));
  await deps.store(conf).update((s) => {
    const r = releaseAttachment(s, { containerId: req.containerId, ifname: req.ifname });
    return r.released.length > 0 ? { state: r.state, value: undefined } : { value: undefined };
  });
  return undefined;
}

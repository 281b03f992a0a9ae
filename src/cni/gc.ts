// GC (SPEC.md 1.1): release every allocation not held by a valid attachment, delete the host veths
// of those attachments, then sweep allocations whose containers are gone. Keeps going past errors
// and reports them all at the end, as the spec asks. The runtime never runs GC beside ADD or DEL
// on this network, but the store lock is taken anyway. A corrupt state file is moved aside and
// rebuilt first, as DEL does (attachment.ts readOrRecover).

import { readOrRecover, sweep } from './attachment.js';
import { parseMeridianConf } from './conf.js';
import type { Deps } from './deps.js';
import { CNI_CODES, CniError } from './errors.js';
import { releaseInvalid } from './ipam/allocator.js';
import { hostVethOf, vethOwner } from './host-veths.js';
import type { CniRequest } from './request.js';
import { unwire } from './wiring.js';

export async function cmdGc(req: Extract<CniRequest, { verb: 'GC' | 'STATUS' }>, deps: Deps): Promise<undefined> {
  const conf = parseMeridianConf(req.conf);
  const valid = conf.validAttachments;
  // Without the list every attachment would look invalid; refuse rather than unwire the node.
  if (valid === undefined) throw new CniError(CNI_CODES.invalidNetworkConfig, 'network config: GC needs cni.dev/valid-attachments');
  const store = deps.store(conf);
  await readOrRecover(store, deps);
  const errors: string[] = [];
  const names = await store.update((s) => {
    const r = releaseInvalid(s, valid);
    // A released record's veth may now be a valid attachment's (a newer sandbox of the same pod).
    const orphaned = [...new Set(r.released.map(hostVethOf))].filter((n) => vethOwner(r.state, n) === undefined);
    return r.released.length > 0 ? { state: r.state, value: orphaned } : { value: orphaned };
  });
  for (const name of names) {
    await unwire(deps.run, name).catch((e: unknown) => errors.push(`${name}: ${e instanceof Error ? e.message : String(e)}`));
  }
  await sweep(store, deps.now()).catch((e: unknown) => errors.push(`sweep: ${e instanceof Error ? e.message : String(e)}`));
  if (errors.length > 0) throw new CniError(CNI_CODES.internal, `GC finished with ${errors.length} error(s)`, errors.join('\n'));
  return undefined;
}

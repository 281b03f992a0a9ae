// STATUS (SPEC.md 1.1): exit 0 when an ADD would succeed now. Otherwise code 50: the node file is
// missing (the agent has not started: podCIDR unknown), the config does not resolve, the IPAM
// directory is not writable, or a pool is exhausted. Informational only; ADD and DEL never depend
// on it having been called.

import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { loadPools } from './attachment.js';
import { parseMeridianConf } from './conf.js';
import type { Deps } from './deps.js';
import { CNI_CODES, CniError } from './errors.js';
import { freeCount, poolKey } from './ipam/allocator.js';
import { networkDir } from './ipam/file-store.js';
import type { CniRequest } from './request.js';

export async function cmdStatus(req: Extract<CniRequest, { verb: 'GC' | 'STATUS' }>, deps: Deps): Promise<undefined> {
  const conf = parseMeridianConf(req.conf);
  try {
    const pools = await loadPools(conf);
    const dir = networkDir(conf.dataDir, conf.name);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await access(dir, constants.W_OK);
    const state = await deps.store(conf).read();
    for (const p of pools) {
      if (freeCount(state, p) <= 0n) throw new CniError(CNI_CODES.pluginNotAvailable, `pool ${poolKey(p)} is exhausted`);
    }
  } catch (e) {
    if (e instanceof CniError && e.cniCode === CNI_CODES.pluginNotAvailable) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    throw new CniError(CNI_CODES.pluginNotAvailable, `not ready: ${msg}`, e instanceof CniError ? e.details : '');
  }
  return undefined;
}

// ADD: allocate, wire the host side, wire the pod side, report. Anything failing after the
// allocation undoes everything (SPEC.md ADD; ptp's deferred IPAM DEL): the host veth is deleted
// (taking the pod end and the routes with it) and the addresses are released.

import { ExecError } from '../net/runner.js';
import type { AttachmentRequest } from './attachment.js';
import { loadPools, pathExists, sweep } from './attachment.js';
import { parseMeridianConf } from './conf.js';
import type { Deps } from './deps.js';
import { CNI_CODES, CniError } from './errors.js';
import { parseIp } from './ip-addr.js';
import { allocate, poolKey, releaseAttachment, type AllocateOutcome } from './ipam/allocator.js';
import type { Pool } from './ipam/pools.js';
import type { IpamStore } from './ipam/store.js';
import { hostVethName, podMac } from './names.js';
import type { PodIp, Wiring } from './plan.js';
import { attachmentResult } from './plan.js';
import { mergeResults, parsePrevResult, toVersion } from './result.js';
import { detectUplinkMtu, hostVethExists, unwire, wireHost, wirePod } from './wiring.js';

async function allocateIn(store: IpamStore, pools: readonly Pool[], req: AttachmentRequest, now: number): Promise<AllocateOutcome> {
  return store.update<AllocateOutcome>((s) => {
    const o = allocate(s, pools, { containerId: req.containerId, ifname: req.ifname, netns: req.netns, now });
    return o.type === 'allocated' ? { state: o.state, value: o } : { value: o };
  });
}

const fileExists = (e: unknown): boolean => e instanceof ExecError && /File exists/.test(e.stderr);

export async function cmdAdd(req: AttachmentRequest, deps: Deps): Promise<Record<string, unknown>> {
  const conf = parseMeridianConf(req.conf);
  const netns = req.netns as string; // request.ts requires CNI_NETNS for ADD
  const pools = await loadPools(conf);
  if (!(await pathExists(netns))) throw new CniError(CNI_CODES.unknownContainer, `CNI_NETNS ${netns} does not exist`);
  const store = deps.store(conf);

  let out = await allocateIn(store, pools, req, deps.now());
  if (out.type === 'exhausted') {
    // Reclaim addresses of containers that vanished without a DEL, then try once more.
    await sweep(store, deps.now());
    out = await allocateIn(store, pools, req, deps.now());
    if (out.type === 'exhausted') throw new CniError(CNI_CODES.poolExhausted, `no free address in pool ${poolKey(out.pool)}`);
  }
  const ips: PodIp[] = out.ips.map((a) => ({ family: parseIp(a.ip)?.family ?? 4, ip: a.ip }));
  const hostVeth = hostVethName(req.containerId, req.ifname);
  try {
    const mtu = conf.mtu ?? (await detectUplinkMtu(deps.run));
    if (mtu < 1280 && ips.some((p) => p.family === 6)) {
      throw new CniError(CNI_CODES.invalidNetworkConfig, `network config: mtu ${mtu} is below IPv6's minimum of 1280 (RFC 8200 section 5)`);
    }
    const w: Wiring = { netns, ifname: req.ifname, hostVeth, podMac: conf.mac ?? podMac(req.containerId, req.ifname), mtu, ips };
    try {
      await wireHost(deps.run, w);
    } catch (e) {
      if (!fileExists(e)) throw e;
      // Our deterministic name is taken: a stale veth of this same attachment (a killed ADD, or an
      // ADD repeated without DEL). Replace it. Otherwise CNI_IFNAME exists in the pod, which
      // SPEC.md says ADD must refuse.
      if (!(await hostVethExists(hostVeth))) {
        throw new CniError(CNI_CODES.interfaceExists, `interface ${req.ifname} already exists in ${netns}`);
      }
      await unwire(deps.run, hostVeth);
      await wireHost(deps.run, w);
    }
    await wirePod(deps.run, w);
    const result = mergeResults(parsePrevResult(conf.prevResult), attachmentResult(w, { dns: conf.dns }));
    return toVersion(result, conf.cniVersion);
  } catch (e) {
    await unwire(deps.run, hostVeth).catch(() => undefined);
    await store
      .update((s) => ({ state: releaseAttachment(s, { containerId: req.containerId, ifname: req.ifname }).state, value: undefined }))
      .catch(() => undefined);
    throw e;
  }
}

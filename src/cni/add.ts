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
import { hostVethOf, mayDeleteVeth } from './host-veths.js';
import { allocate, allocationsOf, poolKey, releaseAttachment, type AllocateOutcome } from './ipam/allocator.js';
import type { Pool } from './ipam/pools.js';
import type { IpamStore } from './ipam/store.js';
import { hostVethName, podMac } from './names.js';
import type { PodIp, Wiring } from './plan.js';
import { attachmentResult } from './plan.js';
import { mergeResults, parsePrevResult, toVersion } from './result.js';
import { detectUplinkMtu, hostVethExists, unwire, wireHost, wirePod } from './wiring.js';

interface Allocated {
  readonly outcome: AllocateOutcome;
  /** Veths this attachment's records named before, under another name, that it still owns. */
  readonly renamedFrom: readonly string[];
}

async function allocateIn(store: IpamStore, pools: readonly Pool[], req: AttachmentRequest, hostVeth: string, now: number): Promise<Allocated> {
  return store.update<Allocated>((s) => {
    const renamedFrom = [...new Set(allocationsOf(s, req).map(hostVethOf))].filter((n) => n !== hostVeth && mayDeleteVeth(s, n, req));
    const outcome = allocate(s, pools, { containerId: req.containerId, ifname: req.ifname, netns: req.netns, now, hostVeth });
    return outcome.type === 'allocated' ? { state: outcome.state, value: { outcome, renamedFrom } } : { value: { outcome, renamedFrom: [] } };
  });
}

const fileExists = (e: unknown): boolean => e instanceof ExecError && /File exists/.test(e.stderr);

export async function cmdAdd(req: AttachmentRequest, deps: Deps): Promise<Record<string, unknown>> {
  const conf = parseMeridianConf(req.conf);
  const netns = req.netns as string; // request.ts requires CNI_NETNS for ADD
  const pools = await loadPools(conf);
  if (!(await pathExists(netns))) throw new CniError(CNI_CODES.unknownContainer, `CNI_NETNS ${netns} does not exist`);
  const store = deps.store(conf);

  const hostVeth = hostVethName(req);
  let got = await allocateIn(store, pools, req, hostVeth, deps.now());
  if (got.outcome.type === 'exhausted') {
    // Reclaim addresses of containers that vanished without a DEL, then try once more.
    await sweep(store, deps.now());
    got = await allocateIn(store, pools, req, hostVeth, deps.now());
  }
  const out = got.outcome;
  if (out.type === 'exhausted') throw new CniError(CNI_CODES.poolExhausted, `no free address in pool ${poolKey(out.pool)}`);
  const ips: PodIp[] = out.ips.map((a) => ({ family: parseIp(a.ip)?.family ?? 4, ip: a.ip }));
  // Set once this ADD may have created something under hostVeth: before that, a veth of that name
  // is another sandbox's (same pod, names.ts) and a failure must leave it alone.
  let touched = false;
  try {
    // A repeated ADD of an attachment whose veth had another name (recorded by an older version).
    for (const old of got.renamedFrom) await unwire(deps.run, old);
    const mtu = conf.mtu ?? (await detectUplinkMtu(deps.run));
    if (mtu < 1280 && ips.some((p) => p.family === 6)) {
      throw new CniError(CNI_CODES.invalidNetworkConfig, `network config: mtu ${mtu} is below IPv6's minimum of 1280 (RFC 8200 section 5)`);
    }
    const w: Wiring = { netns, ifname: req.ifname, hostVeth, podMac: conf.mac ?? podMac(req.containerId, req.ifname), mtu, ips };
    touched = true;
    try {
      await wireHost(deps.run, w);
    } catch (e) {
      if (!fileExists(e)) throw e;
      // Our deterministic name is taken: a stale veth of this same attachment (a killed ADD, or an
      // ADD repeated without DEL), or of an older sandbox of the same pod whose DEL has not come
      // yet (its pod is being replaced by this one, as Calico does). Replace it. Otherwise
      // CNI_IFNAME exists in the pod, which SPEC.md says ADD must refuse.
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
    if (touched) await unwire(deps.run, hostVeth).catch(() => undefined);
    await store
      .update((s) => ({ state: releaseAttachment(s, { containerId: req.containerId, ifname: req.ifname }).state, value: undefined }))
      .catch(() => undefined);
    throw e;
  }
}

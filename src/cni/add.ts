// ADD: allocate, wire the host side, wire the pod side, report. Anything failing after the
// allocation undoes everything (SPEC.md ADD; ptp's deferred IPAM DEL): the host veth is deleted
// (taking the pod end and the routes with it) and the addresses are released. A CNI_IFNAME that
// already exists in the pod is refused unless it is this same attachment's (verify.ts
// classifyConflict says which).

import { assertNever } from '../errors.js';
import { ExecError } from '../net/runner.js';
import type { AttachmentRequest } from './attachment.js';
import { loadPools, pathExists, sweep, sweepIfDue } from './attachment.js';
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
import { classifyConflict } from './verify.js';
import { detectUplinkMtu, observeAttachment, unwire, wireHost, wirePod } from './wiring.js';

interface Allocated {
  readonly outcome: AllocateOutcome;
  /** Veths this attachment's records named before, under another name, that it still owns. */
  readonly renamedFrom: readonly string[];
  /** The attachment held addresses before this ADD (an earlier ADD of it, without DEL since). */
  readonly recordedBefore: boolean;
}

async function allocateIn(store: IpamStore, pools: readonly Pool[], req: AttachmentRequest, hostVeth: string, now: number): Promise<Allocated> {
  return store.update<Allocated>((s) => {
    const before = allocationsOf(s, req);
    const renamedFrom = [...new Set(before.map(hostVethOf))].filter((n) => n !== hostVeth && mayDeleteVeth(s, n, req));
    const outcome = allocate(s, pools, { containerId: req.containerId, ifname: req.ifname, netns: req.netns, now, hostVeth });
    const recordedBefore = before.length > 0;
    return outcome.type === 'allocated'
      ? { state: outcome.state, value: { outcome, renamedFrom, recordedBefore } }
      : { value: { outcome, renamedFrom: [], recordedBefore } };
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
  await sweepIfDue(store, deps.now());
  let got = await allocateIn(store, pools, req, hostVeth, deps.now());
  if (got.outcome.type === 'exhausted') {
    // Reclaim addresses of containers that vanished without a DEL, then try once more.
    await sweep(store, deps.now());
    got = await allocateIn(store, pools, req, hostVeth, deps.now());
  }
  const out = got.outcome;
  if (out.type === 'exhausted') throw new CniError(CNI_CODES.poolExhausted, `no free address in pool ${poolKey(out.pool)}`);
  deps.fault?.('after-alloc');
  const ips: PodIp[] = out.ips.map((a) => ({ family: parseIp(a.ip)?.family ?? 4, ip: a.ip }));
  // Set once this ADD may have created or removed something under hostVeth: before that, a veth
  // of that name is another sandbox's or attachment's, and a failure must leave it alone.
  let touched = false;
  try {
    // A repeated ADD of an attachment whose veth had another name (recorded by an older version).
    for (const old of got.renamedFrom) await unwire(deps.run, old);
    const mtu = conf.mtu ?? (await detectUplinkMtu(deps.run));
    if (mtu < 1280 && ips.some((p) => p.family === 6)) {
      throw new CniError(CNI_CODES.invalidNetworkConfig, `network config: mtu ${mtu} is below IPv6's minimum of 1280 (RFC 8200 section 5)`);
    }
    const w: Wiring = { netns, ifname: req.ifname, hostVeth, podMac: conf.mac ?? podMac(req.containerId, req.ifname), mtu, ips };
    const result = (): Record<string, unknown> =>
      toVersion(mergeResults(parsePrevResult(conf.prevResult), attachmentResult(w, { dns: conf.dns })), conf.cniVersion);
    try {
      touched = true;
      await wireHost(deps.run, w);
    } catch (e) {
      if (!fileExists(e)) throw e;
      // Only the batch's first line, `link add`, can say so, and then it created nothing.
      touched = false;
      const exp = { ifname: req.ifname, hostVeth, podMac: w.podMac, ips };
      const found = classifyConflict(exp, { ...(await observeAttachment(deps.run, exp, netns)), reserved: out.ips.map((a) => a.ip) }, got.recordedBefore);
      switch (found) {
        case 'retry-complete':
          return result();
        case 'foreign':
          throw new CniError(CNI_CODES.interfaceExists, `interface ${req.ifname} already exists in ${netns}`);
        case 'none':
          throw e; // gone again meanwhile: nothing known to replace
        case 'stale-host-veth':
        case 'retry-partial':
          touched = true;
          await unwire(deps.run, hostVeth);
          await wireHost(deps.run, w);
          break;
        default:
          return assertNever(found, 'interface conflict');
      }
    }
    deps.fault?.('after-host-wiring');
    await wirePod(deps.run, w);
    return result();
  } catch (e) {
    if (touched) await unwire(deps.run, hostVeth).catch(() => undefined);
    // Addresses an earlier ADD of this attachment holds stay while its wiring does.
    if (touched || !got.recordedBefore) {
      await store
        .update((s) => ({ state: releaseAttachment(s, { containerId: req.containerId, ifname: req.ifname }).state, value: undefined }))
        .catch(() => undefined);
    }
    throw e;
  }
}

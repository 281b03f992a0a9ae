// CHECK: compare prevResult and the IPAM reservation with the kernel (verify.ts decides).
// Unlike ptp, the host side (veth, /32 route, proxy_arp) is checked too: a pod without its host
// route is unreachable, which SPEC.md says CHECK should report.

import type { AttachmentRequest } from './attachment.js';
import { pathExists } from './attachment.js';
import { parseMeridianConf } from './conf.js';
import type { Deps } from './deps.js';
import { CNI_CODES, CniError } from './errors.js';
import { parseIp } from './ip-addr.js';
import { allocationsOf } from './ipam/allocator.js';
import { hostVethOf } from './host-veths.js';
import { hostVethName } from './names.js';
import type { PodIp } from './plan.js';
import { findAttachment, parsePrevResult } from './result.js';
import { verifyAttachment } from './verify.js';
import { observeAttachment } from './wiring.js';

export async function cmdCheck(req: AttachmentRequest, deps: Deps): Promise<undefined> {
  const conf = parseMeridianConf(req.conf);
  const netns = req.netns as string;
  const prev = parsePrevResult(conf.prevResult);
  if (prev === undefined) throw new CniError(CNI_CODES.invalidNetworkConfig, 'CHECK needs prevResult (SPEC.md CHECK)');
  const mine = findAttachment(prev, req.ifname, netns);
  if (mine === undefined) {
    throw new CniError(CNI_CODES.checkFailed, `prevResult lists no interface ${req.ifname} in sandbox ${netns}`);
  }
  if (!(await pathExists(netns))) throw new CniError(CNI_CODES.unknownContainer, `CNI_NETNS ${netns} does not exist`);
  const ips: PodIp[] = [];
  for (const c of mine.ips) {
    const a = parseIp(c.address.split('/')[0] ?? '');
    if (a !== undefined) ips.push({ family: a.family, ip: c.address.split('/')[0] as string });
  }
  const state = await deps.store(conf).read();
  const records = allocationsOf(state, { containerId: req.containerId, ifname: req.ifname });
  // The veth ADD recorded; without a record (reported below as a lost reservation) the name ADD derives.
  const hostVeth = records[0] !== undefined ? hostVethOf(records[0]) : hostVethName(req);
  const exp = { ifname: req.ifname, hostVeth, resultHostVeth: mine.hostIface?.name, podMac: mine.iface.mac, ips };
  const observed = await observeAttachment(deps.run, exp, netns);
  const reserved = records.map((a) => a.ip);
  const problems = verifyAttachment(exp, { ...observed, reserved });
  if (problems.length > 0) throw new CniError(CNI_CODES.checkFailed, `CHECK failed: ${problems.join('; ')}`);
  return undefined;
}

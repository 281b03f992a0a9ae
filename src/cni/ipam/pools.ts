// Range sets as configured -> concrete address ranges the allocator walks. Pure: the node's
// podCIDRs come in as an argument (node-file.ts reads them). Rules follow host-local
// (plugins/ipam/host-local/backend/allocator/range.go): the network address is never handed out,
// nor IPv4's broadcast, nor the gateway (by default the subnet's first address, kept free so the
// node can own it); IPv4 /31 and /32 and IPv6 /127 and /128 are refused as too small.

import { CNI_CODES, CniError } from '../errors.js';
import { bits, contains, formatCidr, lastAddress, parseCidr, parseIp, type Cidr, type IpFamily } from '../ip-addr.js';
import type { RangeConf } from '../conf.js';
import { USE_POD_CIDR } from '../names.js';

export interface Range {
  readonly subnet: Cidr;
  /** First and last address that may be handed out, inclusive. */
  readonly start: bigint;
  readonly end: bigint;
  readonly gateway: bigint | undefined;
}

/** One range set: the pod gets one address from it (host-local semantics); all ranges share a family. */
export interface Pool {
  readonly family: IpFamily;
  readonly ranges: readonly Range[];
}

const bad = (field: string, why: string): CniError =>
  new CniError(CNI_CODES.invalidNetworkConfig, `network config: ${field} ${why}`);

function addrIn(text: string | undefined, subnet: Cidr, field: string): bigint | undefined {
  if (text === undefined) return undefined;
  const a = parseIp(text);
  if (a === undefined || !contains(subnet, a)) throw bad(field, `${JSON.stringify(text)} is not an address in ${formatCidr(subnet)}`);
  return a.value;
}

export function resolveRange(r: RangeConf, field: string): Range {
  const subnet = parseCidr(r.subnet);
  if (subnet === undefined) throw bad(`${field}.subnet`, `${JSON.stringify(r.subnet)} is not a CIDR with zero host bits`);
  if (bits(subnet.family) - subnet.prefix < 2) throw bad(`${field}.subnet`, `${r.subnet} is too small`);
  const gateway = addrIn(r.gateway, subnet, `${field}.gateway`) ?? subnet.network + 1n;
  const last = lastAddress(subnet);
  const start = addrIn(r.rangeStart, subnet, `${field}.rangeStart`) ?? subnet.network + 1n;
  const end = addrIn(r.rangeEnd, subnet, `${field}.rangeEnd`) ?? (subnet.family === 4 ? last - 1n : last);
  if (start > end) throw bad(`${field}.rangeStart`, `${r.rangeStart ?? ''} is after rangeEnd ${r.rangeEnd ?? ''}`);
  // Clamp: an explicit rangeStart equal to the network address or an end at broadcast still never yields them.
  return {
    subnet,
    start: start === subnet.network ? start + 1n : start,
    end: subnet.family === 4 && end === last ? end - 1n : end,
    gateway,
  };
}

/**
 * Resolve the configured range sets. A range whose subnet is "usePodCidr" becomes one range set
 * per node podCIDR (so [[{"subnet":"usePodCidr"}]] on a dual-stack node yields an IPv4 and an IPv6
 * pool, as kubenet and host-local read it); `podCidrs` is only needed when usesPodCidr().
 */
export function usesPodCidr(sets: readonly (readonly RangeConf[])[]): boolean {
  return sets.some((set) => set.some((r) => r.subnet === USE_POD_CIDR));
}

export function resolvePools(sets: readonly (readonly RangeConf[])[], podCidrs: readonly string[] | undefined): Pool[] {
  const pools: Pool[] = [];
  sets.forEach((set, i) => {
    if (set.some((r) => r.subnet === USE_POD_CIDR)) {
      if (set.length !== 1) throw bad(`ipam.ranges[${i}]`, `a "${USE_POD_CIDR}" range must be alone in its range set`);
      const cidrs = podCidrs ?? [];
      if (cidrs.length === 0) throw new CniError(CNI_CODES.tryAgainLater, 'the node has no podCIDR yet');
      for (const c of cidrs) {
        const { subnet: _s, ...rest } = set[0] as RangeConf;
        const range = resolveRange({ ...rest, subnet: c }, `node podCIDR ${c} (ipam.ranges[${i}])`);
        pools.push({ family: range.subnet.family, ranges: [range] });
      }
      return;
    }
    const ranges = set.map((r, j) => resolveRange(r, `ipam.ranges[${i}][${j}]`));
    const family = ranges[0]?.subnet.family ?? 4;
    if (ranges.some((r) => r.subnet.family !== family)) throw bad(`ipam.ranges[${i}]`, 'mixes IPv4 and IPv6 ranges');
    pools.push({ family, ranges });
  });
  const families = pools.map((p) => p.family);
  if (new Set(families).size !== families.length) {
    // One address per family: the pod's routes and the host's /32 and /128 assume it.
    throw bad('ipam.ranges', 'must give at most one range set per address family');
  }
  return pools;
}

/** How many addresses a range can hand out (gateway excluded). */
export function rangeSize(r: Range): bigint {
  const n = r.end - r.start + 1n;
  return r.gateway !== undefined && r.gateway >= r.start && r.gateway <= r.end ? n - 1n : n;
}

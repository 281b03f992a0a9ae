// The meridian-cni plugin config: the fields this plugin reads from the per-plugin request that
// the runtime builds out of the conflist (name and cniVersion injected, runtimeConfig from
// capabilities, prevResult). Pure. Unknown keys pass silently: libcni leaves `capabilities` in,
// and other plugins' conventions (`args`, `cni.dev/*`) may appear; rejecting them would break
// chains. Known keys with a wrong type are code 7 naming the field; values we understand but do
// not support are code 2 naming key and value, as SPEC.md asks.

import { CNI_CODES, CniError } from './errors.js';
import { DEFAULT_IPAM_DIR, DEFAULT_NODE_FILE } from './names.js';
import type { NetConf } from './request.js';

export interface RangeConf {
  readonly subnet: string;
  readonly rangeStart?: string;
  readonly rangeEnd?: string;
  readonly gateway?: string;
}

export interface Dns {
  readonly nameservers?: readonly string[];
  readonly domain?: string;
  readonly search?: readonly string[];
  readonly options?: readonly string[];
}

export interface Attachment {
  readonly containerId: string;
  readonly ifname: string;
}

export interface MeridianConf {
  readonly cniVersion: string;
  readonly name: string;
  /** Pod and host veth MTU; undefined: the MTU of the node's uplink (the default route's device). */
  readonly mtu: number | undefined;
  readonly nodeFile: string;
  /** Range sets as configured; a subnet may be "usePodCidr" (resolved by ipam/pools.ts). */
  readonly ranges: readonly (readonly RangeConf[])[];
  readonly dataDir: string;
  readonly dns: Dns | undefined;
  /** runtimeConfig.mac (capability "mac"): the pod interface's MAC. */
  readonly mac: string | undefined;
  /** As given; parsed by result.ts against cniVersion. */
  readonly prevResult: unknown;
  /** GC only: `cni.dev/valid-attachments` (or the spec-v1.1.0 tag's `cni.dev/attachments`). */
  readonly validAttachments: readonly Attachment[] | undefined;
}

const bad = (field: string, why: string): CniError =>
  new CniError(CNI_CODES.invalidNetworkConfig, `network config: ${field} ${why}`);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optString(o: Record<string, unknown>, key: string, field: string): string | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '') throw bad(field, 'must be a non-empty string');
  return v;
}

function stringList(v: unknown, field: string): readonly string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw bad(field, 'must be a list of strings');
  return v as string[];
}

function parseRange(v: unknown, field: string): RangeConf {
  if (!isObject(v)) throw bad(field, 'must be an object');
  const subnet = optString(v, 'subnet', `${field}.subnet`);
  if (subnet === undefined) throw bad(`${field}.subnet`, 'is required');
  const rangeStart = optString(v, 'rangeStart', `${field}.rangeStart`);
  const rangeEnd = optString(v, 'rangeEnd', `${field}.rangeEnd`);
  const gateway = optString(v, 'gateway', `${field}.gateway`);
  return {
    subnet,
    ...(rangeStart !== undefined ? { rangeStart } : {}),
    ...(rangeEnd !== undefined ? { rangeEnd } : {}),
    ...(gateway !== undefined ? { gateway } : {}),
  };
}

function parseRanges(ipam: Record<string, unknown>): RangeConf[][] {
  // host-local's older single-range form: ipam.subnet (+ rangeStart/rangeEnd/gateway).
  if (ipam['ranges'] === undefined && ipam['subnet'] !== undefined) return [[parseRange(ipam, 'ipam')]];
  const ranges = ipam['ranges'];
  if (!Array.isArray(ranges) || ranges.length === 0) throw bad('ipam.ranges', 'must be a non-empty list of range sets');
  return ranges.map((set, i) => {
    if (!Array.isArray(set) || set.length === 0) throw bad(`ipam.ranges[${i}]`, 'must be a non-empty list of ranges');
    return set.map((r, j) => parseRange(r, `ipam.ranges[${i}][${j}]`));
  });
}

function parseDns(v: unknown): Dns | undefined {
  if (v === undefined) return undefined;
  if (!isObject(v)) throw bad('dns', 'must be an object');
  const nameservers = stringList(v['nameservers'], 'dns.nameservers');
  const search = stringList(v['search'], 'dns.search');
  const options = stringList(v['options'], 'dns.options');
  const domain = optString(v, 'domain', 'dns.domain');
  const dns: Dns = {
    ...(nameservers !== undefined && nameservers.length > 0 ? { nameservers } : {}),
    ...(domain !== undefined ? { domain } : {}),
    ...(search !== undefined && search.length > 0 ? { search } : {}),
    ...(options !== undefined && options.length > 0 ? { options } : {}),
  };
  // SPEC.md: an empty dns is omitted from results.
  return Object.keys(dns).length > 0 ? dns : undefined;
}

function parseAttachments(conf: NetConf): Attachment[] | undefined {
  // libcni (api.go GCNetworkList) sends both keys; the spec-v1.1.0 tag named it cni.dev/attachments.
  const raw = conf['cni.dev/valid-attachments'] ?? conf['cni.dev/attachments'];
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw)) throw bad('cni.dev/valid-attachments', 'must be a list');
  return raw.map((a, i) => {
    const f = `cni.dev/valid-attachments[${i}]`;
    if (!isObject(a) || typeof a['containerID'] !== 'string' || typeof a['ifname'] !== 'string') {
      throw bad(f, 'must be {"containerID": string, "ifname": string}');
    }
    return { containerId: a['containerID'], ifname: a['ifname'] };
  });
}

const MAC = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;

export function parseMeridianConf(conf: NetConf): MeridianConf {
  const mtu = conf['mtu'];
  if (mtu !== undefined && (typeof mtu !== 'number' || !Number.isInteger(mtu) || mtu < 576 || mtu > 65535)) {
    // 576: the smallest MTU IPv4 hosts must accept (RFC 791); IPv6 needs 1280 and is checked in add.ts.
    throw bad('mtu', `must be an integer from 576 to 65535, got ${JSON.stringify(mtu)}`);
  }
  if (conf['ipMasq'] !== undefined && conf['ipMasq'] !== false) {
    throw new CniError(CNI_CODES.unsupportedField, `unsupported field ipMasq=${JSON.stringify(conf['ipMasq'])}: pod traffic is routed, never masqueraded`);
  }
  const ipam = conf['ipam'];
  if (!isObject(ipam)) throw bad('ipam', 'is required and must be an object');
  const ipamType = ipam['type'];
  if (ipamType !== undefined && ipamType !== 'meridian-cni' && ipamType !== 'meridian') {
    throw new CniError(
      CNI_CODES.unsupportedField,
      `unsupported field ipam.type=${JSON.stringify(ipamType)}: meridian-cni has built-in IPAM (omit ipam.type or use "meridian-cni")`,
    );
  }
  const runtimeConfig = conf['runtimeConfig'];
  if (runtimeConfig !== undefined && !isObject(runtimeConfig)) throw bad('runtimeConfig', 'must be an object');
  const mac = runtimeConfig !== undefined ? optString(runtimeConfig, 'mac', 'runtimeConfig.mac') : undefined;
  if (mac !== undefined && (!MAC.test(mac) || (parseInt(mac.slice(0, 2), 16) & 1) === 1)) {
    throw bad('runtimeConfig.mac', `must be a unicast MAC address, got ${JSON.stringify(mac)}`);
  }
  return {
    cniVersion: conf.cniVersion,
    name: conf.name,
    mtu: mtu as number | undefined,
    nodeFile: optString(conf, 'nodeFile', 'nodeFile') ?? optString(ipam, 'nodeFile', 'ipam.nodeFile') ?? DEFAULT_NODE_FILE,
    ranges: parseRanges(ipam),
    dataDir: optString(ipam, 'dataDir', 'ipam.dataDir') ?? DEFAULT_IPAM_DIR,
    dns: parseDns(conf['dns']),
    mac: mac?.toLowerCase(),
    prevResult: conf['prevResult'],
    validAttachments: parseAttachments(conf),
  };
}

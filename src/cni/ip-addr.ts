// IPv4/IPv6 addresses and prefixes as bigints, so the allocator can do arithmetic on both
// families alike. Pure. Text out follows RFC 5952 (lowercase, longest zero run compressed, a single
// zero group not compressed), which is also what iproute2 prints, but comparisons should go through
// parseIp so that spelling never matters.

import { formatIpValue, parseIpValue, type IpFamily } from '../ip/address.js';

export type { IpFamily };

export interface IpAddr {
  readonly family: IpFamily;
  readonly value: bigint;
}

export interface Cidr {
  readonly family: IpFamily;
  /** The network address (host bits zero). */
  readonly network: bigint;
  readonly prefix: number;
}

export const bits = (f: IpFamily): number => (f === 4 ? 32 : 128);

export function parseIp(s: string): IpAddr | undefined {
  return parseIpValue(s);
}

export function formatIp(a: IpAddr): string {
  return formatIpValue(a.family, a.value);
}

/** "10.1.0.0/24" -> Cidr. Host bits must be zero unless `lenient` (then they are cleared). */
export function parseCidr(s: string, opts: { lenient?: boolean } = {}): Cidr | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIp(s.slice(0, slash));
  const pText = s.slice(slash + 1);
  if (ip === undefined || !/^[0-9]{1,3}$/.test(pText)) return undefined;
  const prefix = Number(pText);
  if (prefix > bits(ip.family)) return undefined;
  const network = ip.value & netmask(ip.family, prefix);
  if (network !== ip.value && opts.lenient !== true) return undefined;
  return { family: ip.family, network, prefix };
}

export function netmask(f: IpFamily, prefix: number): bigint {
  const all = (1n << BigInt(bits(f))) - 1n;
  return all ^ ((1n << BigInt(bits(f) - prefix)) - 1n);
}

export function lastAddress(c: Cidr): bigint {
  return c.network | ((1n << BigInt(bits(c.family) - c.prefix)) - 1n);
}

export function contains(c: Cidr, a: IpAddr): boolean {
  return a.family === c.family && (a.value & netmask(c.family, c.prefix)) === c.network;
}

export function formatCidr(c: Cidr): string {
  return `${formatIp({ family: c.family, value: c.network })}/${c.prefix}`;
}

export function sameIp(a: string, b: string): boolean {
  const pa = parseIp(a);
  const pb = parseIp(b);
  return pa !== undefined && pb !== undefined && pa.family === pb.family && pa.value === pb.value;
}

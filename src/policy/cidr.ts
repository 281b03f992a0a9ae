// IP addresses and CIDRs as bigints, for the compiler (ipBlock sets) and the evaluator (set
// membership). Pure. Text forms are canonical (IPv6 per RFC 5952: lowercase, longest zero run
// compressed) because `ipset save` prints them that way and the planner compares strings.

import { formatIpValue, parseIpValue } from '../ip/address.js';
import type { Family } from '../net/ip.js';

export interface Cidr {
  readonly family: Family;
  /** Network address (host bits cleared). */
  readonly addr: bigint;
  readonly prefix: number;
}

function bits(family: Family): number {
  return family === 4 ? 32 : 128;
}

export function parseIp(s: string): { family: Family; addr: bigint } | undefined {
  const p = parseIpValue(s);
  return p === undefined ? undefined : { family: p.family, addr: p.value };
}

/** Parse "a.b.c.d/n" or "x::/n" (a bare address is a host prefix). Host bits are cleared. */
export function parseCidr(s: string): Cidr | undefined {
  const [ip = '', len, extra] = s.split('/');
  if (extra !== undefined) return undefined;
  const p = parseIp(ip);
  if (p === undefined) return undefined;
  const max = bits(p.family);
  if (len !== undefined && !/^\d{1,3}$/.test(len)) return undefined;
  const prefix = len === undefined ? max : Number(len);
  if (prefix > max) return undefined;
  return { family: p.family, addr: p.addr & mask(p.family, prefix), prefix };
}

function mask(family: Family, prefix: number): bigint {
  const n = BigInt(bits(family));
  const all = (1n << n) - 1n;
  return prefix === 0 ? 0n : (all >> (n - BigInt(prefix))) << (n - BigInt(prefix));
}

export function cidrContains(c: Cidr, family: Family, addr: bigint): boolean {
  return c.family === family && (addr & mask(family, c.prefix)) === c.addr;
}

/** Is `inner` inside (or equal to) `outer`? */
export function cidrCovers(outer: Cidr, inner: Cidr): boolean {
  return outer.family === inner.family && outer.prefix <= inner.prefix && cidrContains(outer, inner.family, inner.addr);
}

export function formatIp(family: Family, addr: bigint): string {
  return formatIpValue(family, addr);
}

/** Canonical text: "10.0.0.0/8"; a host prefix keeps its length ("10.0.0.1/32"). */
export function formatCidr(c: Cidr): string {
  return `${formatIp(c.family, c.addr)}/${c.prefix}`;
}

/** Canonical text of an address, or undefined if it is not one. */
export function canonicalIp(s: string): string | undefined {
  const p = parseIp(s);
  return p === undefined ? undefined : formatIp(p.family, p.addr);
}

export function familyOf(ip: string): Family | undefined {
  return parseIp(ip)?.family;
}

/** The two halves of a prefix (hash:net cannot hold a /0, so 0.0.0.0/0 becomes two /1s). */
export function splitCidr(c: Cidr): [Cidr, Cidr] {
  const prefix = c.prefix + 1;
  const high = 1n << BigInt(bits(c.family) - prefix);
  return [
    { family: c.family, addr: c.addr, prefix },
    { family: c.family, addr: c.addr | high, prefix },
  ];
}

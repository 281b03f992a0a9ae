// IP addresses and CIDRs as bigints, for the compiler (ipBlock sets) and the evaluator (set
// membership). Pure. Text forms are canonical (IPv6 per RFC 5952: lowercase, longest zero run
// compressed) because `ipset save` prints them that way and the planner compares strings.

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

function parseV4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    v = (v << 8n) | BigInt(Number(p));
  }
  return v;
}

function parseV6(s: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(s)) return undefined;
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const group = (h: string): number[] | undefined => {
    if (h === '') return [];
    const out: number[] = [];
    const parts = h.split(':');
    for (const [i, p] of parts.entries()) {
      if (i === parts.length - 1 && p.includes('.')) {
        // Embedded IPv4 tail (::ffff:1.2.3.4).
        const v4 = parseV4(p);
        if (v4 === undefined) return undefined;
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  const head = group(halves[0] ?? '');
  const tail = halves.length === 2 ? group(halves[1] ?? '') : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  return all.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

export function parseIp(s: string): { family: Family; addr: bigint } | undefined {
  const v4 = parseV4(s);
  if (v4 !== undefined) return { family: 4, addr: v4 };
  const v6 = s.includes(':') ? parseV6(s) : undefined;
  return v6 !== undefined ? { family: 6, addr: v6 } : undefined;
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
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((addr >> s) & 0xffn)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => Number((addr >> BigInt(112 - 16 * i)) & 0xffffn));
  // RFC 5952 4.2: compress the longest run of two or more zero groups, the first one on a tie.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
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

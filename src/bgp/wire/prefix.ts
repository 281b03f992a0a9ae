// IP prefixes: the unit of NLRI. On the wire (RFC 4271 §4.3, RFC 4760 §5) a prefix is one length
// octet followed by the fewest octets that hold that many bits; trailing bits are irrelevant, so
// we zero them on decode and refuse set host bits on parse: a Prefix is always canonical.

import { formatIpv4, formatIpv6, tryParseIpv4, tryParseIpv6 } from './address.js';
import type { Writer } from './bytes.js';
import { AFI_IPV4, AFI_IPV6, type Afi } from './constants.js';
import { EncodeError } from './errors.js';

export interface Prefix {
  readonly afi: Afi;
  /** Canonical address text with host bits zero: "10.244.1.0", "fd00:10:244:1::". */
  readonly address: string;
  /** Prefix length in bits: 0..32 (IPv4) or 0..128 (IPv6). */
  readonly length: number;
}

export function maxPrefixLength(afi: Afi): number {
  return afi === AFI_IPV4 ? 32 : 128;
}

function addressBytes(afi: Afi): number {
  return afi === AFI_IPV4 ? 4 : 16;
}

/** "10.0.0.0/8" or "2001:db8::/32" -> Prefix; throws EncodeError on bad text or set host bits. */
export function parsePrefix(text: string): Prefix {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const v4 = tryParseIpv4(addr);
  const bytes = v4 ?? tryParseIpv6(addr);
  const afi: Afi = v4 ? AFI_IPV4 : AFI_IPV6;
  const lenText = slash < 0 ? String(maxPrefixLength(afi)) : text.slice(slash + 1);
  const length = Number(lenText);
  if (!bytes || !/^\d{1,3}$/.test(lenText) || length > maxPrefixLength(afi)) {
    throw new EncodeError(`not a prefix: ${JSON.stringify(text)}`);
  }
  const masked = maskBytes(bytes, length);
  if (!masked.equals(bytes)) throw new EncodeError(`prefix has host bits set: ${JSON.stringify(text)}`);
  return { afi, address: format(afi, masked), length };
}

export function formatPrefix(p: Prefix): string {
  return `${p.address}/${p.length}`;
}

/** Octets this prefix takes in an NLRI field: the length octet plus ceil(length / 8). */
export function encodedPrefixSize(p: Prefix): number {
  return 1 + ((p.length + 7) >> 3);
}

function maskBytes(bytes: Uint8Array, length: number): Buffer {
  const out = Buffer.from(bytes);
  for (let i = 0; i < out.length; i++) {
    const bits = length - 8 * i;
    if (bits >= 8) continue;
    out[i] = bits <= 0 ? 0 : (out[i] ?? 0) & ((0xff << (8 - bits)) & 0xff);
  }
  return out;
}

function format(afi: Afi, bytes: Uint8Array): string {
  return afi === AFI_IPV4 ? formatIpv4(bytes) : formatIpv6(bytes);
}

export function writePrefix(w: Writer, p: Prefix): void {
  const full = p.afi === AFI_IPV4 ? tryParseIpv4(p.address) : tryParseIpv6(p.address);
  if (!full || !Number.isInteger(p.length) || p.length < 0 || p.length > maxPrefixLength(p.afi)) {
    throw new EncodeError(`not a valid prefix: ${JSON.stringify(p)}`);
  }
  w.u8(p.length).bytes(full.subarray(0, (p.length + 7) >> 3));
}

/**
 * Decodes a whole NLRI-style field. `fail(detail)` builds the error for a syntax error (length
 * beyond the address size, or a prefix running past the field): which NOTIFICATION and RFC 7606
 * action that is depends on the field (NLRI, withdrawn routes, MP_REACH_NLRI).
 */
export function decodePrefixes(field: Uint8Array, afi: Afi, fail: (detail: string) => Error): Prefix[] {
  const out: Prefix[] = [];
  const size = addressBytes(afi);
  const max = maxPrefixLength(afi);
  const scratch = Buffer.alloc(size);
  let i = 0;
  while (i < field.length) {
    const length = field[i] ?? 0;
    if (length > max) throw fail(`prefix length ${length} > ${max}`);
    const n = (length + 7) >> 3;
    if (i + 1 + n > field.length) throw fail(`prefix /${length} runs past the field`);
    scratch.fill(0);
    scratch.set(field.subarray(i + 1, i + 1 + n));
    const trailing = length & 7;
    if (trailing) scratch[n - 1] = (scratch[n - 1] ?? 0) & ((0xff << (8 - trailing)) & 0xff);
    out.push({ afi, address: format(afi, scratch), length });
    i += 1 + n;
  }
  return out;
}

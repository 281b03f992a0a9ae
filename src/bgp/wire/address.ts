// IPv4/IPv6 addresses as strings on our side, bytes on the wire. Formatting is canonical (IPv4
// dotted quad; IPv6 per RFC 5952: lowercase, longest zero run of 2+ groups compressed, first
// one on ties), so equal addresses compare equal as strings.

import { bytesFromValue, formatIpValue, parseIpv6Value, valueFromBytes } from '../../ip/address.js';
import { EncodeError } from './errors.js';

export function formatIpv4(b: Uint8Array, offset = 0): string {
  return `${b[offset] ?? 0}.${b[offset + 1] ?? 0}.${b[offset + 2] ?? 0}.${b[offset + 3] ?? 0}`;
}

export function formatIpv6(b: Uint8Array, offset = 0): string {
  return formatIpValue(6, valueFromBytes(b, offset, 16));
}

/**
 * Dotted quad to 4 bytes; undefined unless exactly what parseIpv4Value accepts (decimal octets
 * 0-255, no leading zeros). Hand-rolled: every prefix of a full table passes here (import policy,
 * export), and the BigInt path cost ~2 µs each.
 */
export function tryParseIpv4(s: string): Buffer | undefined {
  const out = Buffer.allocUnsafe(4);
  let octet = 0;
  let n = 0;
  let digits = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (digits === 0 || octet > 3) return undefined;
      out[octet++] = n;
      n = 0;
      digits = 0;
      continue;
    }
    if (c < 0x30 || c > 0x39 || (digits > 0 && n === 0)) return undefined;
    n = n * 10 + (c - 0x30);
    if (n > 255) return undefined;
    digits++;
  }
  return octet === 4 ? out : undefined;
}

export function tryParseIpv6(s: string): Buffer | undefined {
  const v = parseIpv6Value(s);
  return v === undefined ? undefined : bytesFromValue(v, 16);
}

export function parseIpv4(s: string): Buffer {
  const b = tryParseIpv4(s);
  if (!b) throw new EncodeError(`not an IPv4 address: ${JSON.stringify(s)}`);
  return b;
}

export function parseIpv6(s: string): Buffer {
  const b = tryParseIpv6(s);
  if (!b) throw new EncodeError(`not an IPv6 address: ${JSON.stringify(s)}`);
  return b;
}

/** 4 or 16 bytes, whichever the string is. */
export function parseIp(s: string): Buffer {
  const b = s.includes(':') ? tryParseIpv6(s) : tryParseIpv4(s);
  if (!b) throw new EncodeError(`not an IP address: ${JSON.stringify(s)}`);
  return b;
}

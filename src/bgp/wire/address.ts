// IPv4/IPv6 addresses as strings on our side, bytes on the wire. Formatting is canonical (IPv4
// dotted quad; IPv6 per RFC 5952: lowercase, longest zero run of 2+ groups compressed, first
// one on ties), so equal addresses compare equal as strings.

import { EncodeError } from './errors.js';

export function formatIpv4(b: Uint8Array, offset = 0): string {
  return `${b[offset] ?? 0}.${b[offset + 1] ?? 0}.${b[offset + 2] ?? 0}.${b[offset + 3] ?? 0}`;
}

export function formatIpv6(b: Uint8Array, offset = 0): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(((b[offset + 2 * i] ?? 0) << 8) | (b[offset + 2 * i + 1] ?? 0));
  let bestStart = -1;
  let bestLen = 1; // RFC 5952 §4.2.2: a single zero group is not compressed
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (gs: number[]): string => gs.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function tryParseIpv4(s: string): Buffer | undefined {
  const m = IPV4.exec(s);
  if (!m) return undefined;
  const out = Buffer.alloc(4);
  for (let i = 0; i < 4; i++) {
    const part = m[i + 1] ?? '';
    const v = Number(part);
    if (v > 255 || (part.length > 1 && part.startsWith('0'))) return undefined;
    out[i] = v;
  }
  return out;
}

export function tryParseIpv6(s: string): Buffer | undefined {
  let text = s;
  const tail: number[] = [];
  // A trailing dotted quad (::ffff:1.2.3.4) stands for the last two groups.
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.')) {
    const v4 = tryParseIpv4(text.slice(lastColon + 1));
    if (!v4) return undefined;
    tail.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
    const lead = text.slice(0, lastColon + 1); // ends with ':' (or is empty: no colon at all)
    text = lead.endsWith('::') ? lead : lead.slice(0, -1);
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (h: string | undefined): number[] | undefined => {
    if (h === undefined || h === '') return [];
    const out: number[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parse(halves[0]);
  const rest = parse(halves[1]);
  if (!head || !rest) return undefined;
  const given = head.length + rest.length + tail.length;
  let groups: number[];
  if (halves.length === 2) {
    if (given > 7) return undefined;
    groups = [...head, ...new Array<number>(8 - given).fill(0), ...rest, ...tail];
  } else {
    if (given !== 8) return undefined;
    groups = [...head, ...tail];
  }
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(g, 2 * i));
  return out;
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

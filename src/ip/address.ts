// IPv4 and IPv6 addresses as text <-> (family, bigint): the one parser and formatter the codec,
// the CNI allocator, the policy compiler and the decision process share. Pure, no imports, so the
// CNI plugin bundle can carry it. Text out follows RFC 5952 (lowercase, the longest run of two or
// more zero groups compressed, the first on a tie), which is also what iproute2 and ipset print.
// Strict in: IPv4 octets without leading zeros (which some libraries read as octal), IPv6 groups
// of at most four hex digits, an embedded IPv4 tail allowed (::ffff:10.0.0.1).

export type IpFamily = 4 | 6;

export interface IpValue {
  readonly family: IpFamily;
  readonly value: bigint;
}

export const addressBits = (f: IpFamily): number => (f === 4 ? 32 : 128);

export function parseIpv4Value(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

export function parseIpv6Value(s: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(s)) return undefined;
  let text = s;
  if (text.includes('.')) {
    const at = text.lastIndexOf(':');
    const v4 = parseIpv4Value(text.slice(at + 1));
    if (v4 === undefined) return undefined;
    text = `${text.slice(0, at + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const group = (h: string): bigint[] | undefined => {
    if (h === '') return [];
    const out: bigint[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(BigInt(`0x${g}`));
    }
    return out;
  };
  const head = group(halves[0] ?? '');
  const rest = halves.length === 2 ? group(halves[1] ?? '') : [];
  if (head === undefined || rest === undefined) return undefined;
  const given = head.length + rest.length;
  let groups: bigint[];
  if (halves.length === 2) {
    if (given > 7) return undefined;
    groups = [...head, ...Array<bigint>(8 - given).fill(0n), ...rest];
  } else {
    if (given !== 8) return undefined;
    groups = head;
  }
  return groups.reduce((acc, g) => (acc << 16n) | g, 0n);
}

export function parseIpValue(s: string): IpValue | undefined {
  if (s.includes(':')) {
    const v = parseIpv6Value(s);
    return v === undefined ? undefined : { family: 6, value: v };
  }
  const v = parseIpv4Value(s);
  return v === undefined ? undefined : { family: 4, value: v };
}

export function formatIpValue(family: IpFamily, value: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((sh) => String((value >> sh) & 0xffn)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - i * 16)) & 0xffffn));
  let best = -1;
  let bestLen = 1; // RFC 5952 4.2.2: a single zero group is not compressed
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

/** Big-endian bytes (4 or 16) <-> value, for the wire codec. */
export function valueFromBytes(b: Uint8Array, offset: number, length: 4 | 16): bigint {
  let v = 0n;
  for (let i = 0; i < length; i++) v = (v << 8n) | BigInt(b[offset + i] ?? 0);
  return v;
}

export function bytesFromValue(value: bigint, length: 4 | 16): Buffer {
  const out = Buffer.alloc(length);
  let v = value;
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** "10.0.0.0/8" with no host bits set (what a prefix list or a range must be). */
export function isCanonicalCidr(s: string): boolean {
  const slash = s.indexOf('/');
  if (slash < 0) return false;
  const ip = parseIpValue(s.slice(0, slash));
  const lenText = s.slice(slash + 1);
  if (ip === undefined || !/^\d{1,3}$/.test(lenText)) return false;
  const len = Number(lenText);
  const width = addressBits(ip.family);
  if (len > width) return false;
  const hostMask = (1n << BigInt(width - len)) - 1n;
  return (ip.value & hostMask) === 0n;
}

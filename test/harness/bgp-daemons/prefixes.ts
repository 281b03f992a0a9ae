// Test prefixes: `count` consecutive prefixes of length `len` starting at `base`, IPv4 or IPv6.

import { familyOf } from '../../../src/lab/routers/common.js';

function toBig(addr: string): bigint {
  if (familyOf(addr) === 4) return addr.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n);
  const [head = '', tail = ''] = addr.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === '' ? [] : tail.split(':');
  const groups = addr.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

function fromBig(v: bigint, v6: boolean): string {
  if (!v6) return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 255n)).join('.');
  const groups = [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((s) => ((v >> s) & 0xffffn).toString(16));
  // Compress the longest run of zero groups, as ip and the daemons print it.
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best.len && j - i > 1) best = { at: i, len: j - i };
    i = j;
  }
  if (best.at < 0) return groups.join(':');
  return `${groups.slice(0, best.at).join(':')}::${groups.slice(best.at + best.len).join(':')}`;
}

export function prefixRange(base: string, count: number, len: number): string[] {
  const v6 = familyOf(base) === 6;
  const bits = v6 ? 128n : 32n;
  const step = 1n << (bits - BigInt(len));
  const start = toBig(base);
  if (start % step !== 0n) throw new Error(`${base} is not aligned to /${len}`);
  return Array.from({ length: count }, (_, i) => `${fromBig(start + step * BigInt(i), v6)}/${len}`);
}

// ADD-PATH capability (69), RFC 7911 §4: per AFI/SAFI whether the sender can receive, send or
// both. Decoded so the FSM can see what FRR offers (IPv4 unicast, receive); we do not advertise
// it, so path identifiers never appear in NLRI we must parse.

import { Reader, Writer } from '../bytes.js';
import type { AfiSafi } from '../constants.js';

export type AddPathMode = 'receive' | 'send' | 'both';

export interface AddPathFamily extends AfiSafi {
  readonly mode: AddPathMode;
}

export interface AddPathCapability {
  readonly type: 'add-path';
  readonly families: readonly AddPathFamily[];
}

const MODES: Readonly<Record<number, AddPathMode>> = { 1: 'receive', 2: 'send', 3: 'both' };
const CODES: Readonly<Record<AddPathMode, number>> = { receive: 1, send: 2, both: 3 };

export function decodeAddPath(value: Buffer): AddPathCapability | undefined {
  if (value.length % 4 !== 0) return undefined;
  const r = new Reader(value, () => new Error('unreachable'));
  const families: AddPathFamily[] = [];
  while (r.remaining > 0) {
    const afi = r.u16();
    const safi = r.u8();
    const mode = MODES[r.u8()];
    if (!mode) return undefined;
    families.push({ afi, safi, mode });
  }
  return { type: 'add-path', families };
}

export function encodeAddPath(c: AddPathCapability): Buffer {
  const w = new Writer(4 * c.families.length + 1);
  for (const f of c.families) w.u16(f.afi).u8(f.safi).u8(CODES[f.mode]);
  return w.toBuffer();
}

// Long-Lived Graceful Restart capability (71), draft-ietf-idr-long-lived-gr §3: per AFI/SAFI a
// flags octet (F = forwarding state) and a 24-bit stale time in seconds. BIRD sends it empty
// ("LLGR aware"); FRR with IPv4 unicast, F set, stale time 0.

import { Reader, Writer } from '../bytes.js';
import type { AfiSafi } from '../constants.js';

export interface LongLivedGracefulRestartFamily extends AfiSafi {
  readonly forwardingState: boolean;
  readonly staleTime: number;
}

export interface LongLivedGracefulRestartCapability {
  readonly type: 'long-lived-graceful-restart';
  readonly families: readonly LongLivedGracefulRestartFamily[];
}

export function decodeLongLivedGr(value: Buffer): LongLivedGracefulRestartCapability | undefined {
  if (value.length % 7 !== 0) return undefined;
  const r = new Reader(value, () => new Error('unreachable'));
  const families: LongLivedGracefulRestartFamily[] = [];
  while (r.remaining > 0) {
    const afi = r.u16();
    const safi = r.u8();
    const forwardingState = (r.u8() & 0x80) !== 0;
    families.push({ afi, safi, forwardingState, staleTime: r.u24() });
  }
  return { type: 'long-lived-graceful-restart', families };
}

export function encodeLongLivedGr(c: LongLivedGracefulRestartCapability): Buffer {
  const w = new Writer(7 * c.families.length + 1);
  for (const f of c.families) w.u16(f.afi).u8(f.safi).u8(f.forwardingState ? 0x80 : 0).u24(f.staleTime);
  return w.toBuffer();
}

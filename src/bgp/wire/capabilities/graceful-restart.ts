// Graceful Restart capability (64), RFC 4724 §3: Restart Flags (4 bits: R = restarting, and N =
// notification support from RFC 8538), Restart Time (12 bits, seconds), then per AFI/SAFI a
// flags octet whose top bit F says forwarding state was preserved. BIRD and FRR send it with no
// AFI/SAFI (helper only); FRR sets R+N.

import { Reader, Writer } from '../bytes.js';
import type { AfiSafi } from '../constants.js';
import { EncodeError } from '../errors.js';

export interface GracefulRestartFamily extends AfiSafi {
  readonly forwardingState: boolean;
}

export interface GracefulRestartCapability {
  readonly type: 'graceful-restart';
  /** R bit: the sender has restarted (RFC 4724 §3). */
  readonly restarting: boolean;
  /** N bit: the sender supports graceful NOTIFICATION (RFC 8538 §2). */
  readonly notification: boolean;
  /** Seconds, 0..4095. */
  readonly restartTime: number;
  readonly families: readonly GracefulRestartFamily[];
}

const R = 0x8;
const N = 0x4;

/** Undefined when malformed: the capability is then kept raw (and we are not a GR helper for it). */
export function decodeGracefulRestart(value: Buffer): GracefulRestartCapability | undefined {
  if (value.length < 2 || (value.length - 2) % 4 !== 0) return undefined;
  const r = new Reader(value, () => new Error('unreachable'));
  const word = r.u16();
  const flags = word >> 12;
  const families: GracefulRestartFamily[] = [];
  while (r.remaining > 0) {
    const afi = r.u16();
    const safi = r.u8();
    families.push({ afi, safi, forwardingState: (r.u8() & 0x80) !== 0 });
  }
  return { type: 'graceful-restart', restarting: (flags & R) !== 0, notification: (flags & N) !== 0,
    restartTime: word & 0xfff, families };
}

export function encodeGracefulRestart(c: GracefulRestartCapability): Buffer {
  if (!Number.isInteger(c.restartTime) || c.restartTime < 0 || c.restartTime > 0xfff) {
    throw new EncodeError(`graceful restart time ${c.restartTime} does not fit 12 bits`);
  }
  const flags = (c.restarting ? R : 0) | (c.notification ? N : 0);
  const w = new Writer(2 + 4 * c.families.length).u16((flags << 12) | c.restartTime);
  for (const f of c.families) w.u16(f.afi).u8(f.safi).u8(f.forwardingState ? 0x80 : 0);
  return w.toBuffer();
}

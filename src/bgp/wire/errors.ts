// Errors of the wire codec. A WireError is what a malformed peer message becomes: it carries the
// NOTIFICATION to send (code, subcode, data per RFC 4271 §6) and the RFC 7606 §2 handling class,
// so the session branches on data. EncodeError is our own misuse of the encoder (a message that
// cannot be represented), never a peer's fault.

import { MeridianError } from '../../errors.js';
import { notificationName } from './notification-codes.js';

/**
 * RFC 7606 §2 approaches, strongest first. `af-disable` means "AFI/SAFI disable (RFC 4760 §7) if
 * the session implements it, otherwise session reset"; both of those abort decoding (thrown).
 */
export type ErrorAction = 'session-reset' | 'af-disable' | 'treat-as-withdraw' | 'attribute-discard';

/** The outcome of decoding an UPDATE: the strongest action among its non-fatal problems. */
export type UpdateAction = 'none' | 'treat-as-withdraw' | 'attribute-discard';

const STRENGTH: Readonly<Record<ErrorAction | 'none', number>> = {
  none: 0,
  'attribute-discard': 1,
  'treat-as-withdraw': 2,
  'af-disable': 3,
  'session-reset': 4,
};

/** RFC 7606 §3: when several errors are found, the most severe approach is the one applied. */
export function strongerAction<A extends ErrorAction | 'none'>(a: A, b: A): A {
  return STRENGTH[b] > STRENGTH[a] ? b : a;
}

export interface WireErrorInit {
  /** NOTIFICATION error code (RFC 4271 §4.5). */
  readonly code: number;
  readonly subcode: number;
  /** NOTIFICATION data as the RFC prescribes for this error (often the offending attribute). */
  readonly data?: Uint8Array;
  readonly action: ErrorAction;
  /** Attribute type code the error is about, when it is about one. */
  readonly attr?: number;
  /** Address family concerned, for `af-disable`. */
  readonly afi?: number;
  readonly safi?: number;
  /** Extra detail for logs; the NOTIFICATION name is always part of the message. */
  readonly detail?: string;
}

export class WireError extends MeridianError {
  readonly code = 'BGP_WIRE_ERROR';
  /** What to put in the NOTIFICATION (only sent for session-reset / af-disable-as-reset). */
  readonly notification: { readonly code: number; readonly subcode: number; readonly data: Uint8Array };
  readonly action: ErrorAction;
  readonly attr: number | undefined;
  readonly afi: number | undefined;
  readonly safi: number | undefined;

  constructor(init: WireErrorInit) {
    const name = notificationName(init.code, init.subcode);
    const what = init.attr === undefined ? '' : ` (attribute ${init.attr})`;
    super(`${name}${what}: ${init.action}${init.detail ? `: ${init.detail}` : ''}`);
    this.notification = { code: init.code, subcode: init.subcode, data: Buffer.from(init.data ?? []) };
    this.action = init.action;
    this.attr = init.attr;
    this.afi = init.afi;
    this.safi = init.safi;
  }
}

/** The encoder was given something it cannot put on the wire (value out of range, too large). */
export class EncodeError extends MeridianError {
  readonly code = 'BGP_ENCODE_ERROR';
}

// What the codec must know about the session to read and write bytes: only facts negotiated in
// OPEN (and whether the peer is external, which changes one RFC 7606 rule). Checks that need
// more of the session (addresses, configured AS) live in validate.ts.

import { MAX_EXTENDED_MESSAGE_LENGTH, MAX_MESSAGE_LENGTH } from './constants.js';

export interface CodecContext {
  /** Both sides advertised the 4-octet AS capability (RFC 6793 §3): AS_PATH/AGGREGATOR carry 4-octet ASNs. */
  readonly fourOctetAs: boolean;
  /** Both sides advertised Extended Message (RFC 8654): UPDATE etc. may be up to 65535 octets. */
  readonly extendedMessage: boolean;
  /**
   * The peer is external. Only used for RFC 7606 §7.6: a malformed LOCAL_PREF from an eBGP peer
   * is discarded (it would be ignored anyway, RFC 4271 §5.1.5) instead of treat-as-withdraw.
   */
  readonly ebgp?: boolean;
}

/** A modern peer: every speaker we interoperate with (BIRD, FRR, GoBGP) advertises 4-octet AS. */
export const DEFAULT_CONTEXT: CodecContext = { fourOctetAs: true, extendedMessage: false };

/** RFC 8654 §4: the Extended Message limit applies to all but OPEN and KEEPALIVE. */
export function maxMessageLength(ctx: Pick<CodecContext, 'extendedMessage'>): number {
  return ctx.extendedMessage ? MAX_EXTENDED_MESSAGE_LENGTH : MAX_MESSAGE_LENGTH;
}

// Checks that need the session, kept apart from the pure byte codec (as GoBGP's validate.go):
// the configured peer AS, our addresses and router id, eBGP vs iBGP. The codec decides whether
// bytes are well-formed; these decide whether a well-formed message makes sense *here*.
// Loop detection (own AS in AS_PATH, ORIGINATOR_ID, CLUSTER_LIST) is route policy and lives
// with the RIB, not here.

import { tryParseIpv4, tryParseIpv6 } from './address.js';
import { AS_TRANS } from './constants.js';
import { firstAs } from './attributes/as-path.js';
import { strongerAction, type UpdateAction, WireError } from './errors.js';
import type { OpenMessage } from './messages/open.js';
import { findCapability, openAsn } from './messages/open.js';
import type { UpdateDecodeResult } from './messages/update.js';
import { ErrorCode, OpenSubcode, UpdateSubcode } from './notification-codes.js';

export interface SessionContext {
  readonly localAs: number;
  readonly peerAs: number;
  /** Our router id (BGP Identifier). */
  readonly routerId: string;
  /** Our addresses on the session (and the node); a NEXT_HOP equal to one is refused. */
  readonly localAddresses: readonly string[];
  /**
   * RFC 4271 §6.3 "MAY": from eBGP, the leftmost AS must be the peer's (FRR's enforce-first-as,
   * on by default there too). Default true; a route server peer would turn it off.
   */
  readonly enforceFirstAs?: boolean;
  /**
   * Accept 127/8 and ::1 next hops: only for speakers whose peers all live on one host (tests,
   * single-host labs peering over loopback). Default false (RFC 1122 3.2.1.3).
   */
  readonly allowLoopbackNextHop?: boolean;
}

const isEbgp = (s: SessionContext): boolean => s.localAs !== s.peerAs;

function openError(subcode: number, detail: string): WireError {
  return new WireError({ code: ErrorCode.OPEN_MESSAGE, subcode, action: 'session-reset', detail });
}

/**
 * RFC 4271 §6.2 checks of a peer's OPEN against our configuration; throws the WireError to send.
 * Hold time negotiation and capability matching are the FSM's.
 */
export function validateOpen(open: OpenMessage, s: Pick<SessionContext, 'localAs' | 'peerAs' | 'routerId'>): void {
  if (open.holdTime === 1 || open.holdTime === 2) {
    throw openError(OpenSubcode.UNACCEPTABLE_HOLD_TIME, `hold time ${open.holdTime}`);
  }
  const as4 = findCapability(open, 'four-octet-as');
  // RFC 6793 §4.1: AS_TRANS is never a real AS, so it cannot be the one in the capability.
  if (as4?.asn === AS_TRANS) throw openError(OpenSubcode.BAD_PEER_AS, 'AS_TRANS in the 4-octet AS capability');
  const asn = openAsn(open);
  // RFC 4271 §6.2 defines no data for Bad Peer AS.
  if (asn !== s.peerAs) throw openError(OpenSubcode.BAD_PEER_AS, `peer AS ${asn}, configured ${s.peerAs}`);
  // RFC 6286 §2.2: any non-zero identifier, unique within the AS.
  if (open.bgpId === '0.0.0.0') throw openError(OpenSubcode.BAD_BGP_IDENTIFIER, 'BGP Identifier 0.0.0.0');
  if (s.localAs === s.peerAs && open.bgpId === s.routerId) {
    throw openError(OpenSubcode.BAD_BGP_IDENTIFIER, `iBGP peer uses our identifier ${open.bgpId}`);
  }
}

/** 0/8, 127/8, class D and E (incl. broadcast): never a usable next hop (RFC 1122 §3.2.1.3). */
function martianV4(addr: string, allowLoopback: boolean): boolean {
  const b = tryParseIpv4(addr);
  if (!b) return true;
  const first = b[0] ?? 0;
  return first === 0 || (first === 127 && !allowLoopback) || first >= 224;
}

/** ::, ::1 and multicast (RFC 4291 §2.7). */
function martianV6(addr: string, allowLoopback: boolean): boolean {
  const b = tryParseIpv6(addr);
  if (!b) return true;
  if (b[0] === 0xff) return true;
  const allZeroHead = b.subarray(0, 15).every((x) => x === 0);
  return allZeroHead && ((b[15] ?? 0) === 0 || (b[15] === 1 && !allowLoopback));
}

function nextHopProblem(addr: string, s: SessionContext, v6: boolean): WireError | undefined {
  const ours = s.localAddresses.includes(addr);
  const loop = s.allowLoopbackNextHop ?? false;
  if (!ours && !(v6 ? martianV6(addr, loop) : martianV4(addr, loop))) return undefined;
  // RFC 4271 §6.3: a semantically wrong NEXT_HOP means the route is ignored, without NOTIFICATION;
  // RFC 7606 §7.3 names that treat-as-withdraw.
  return new WireError({ code: ErrorCode.UPDATE_MESSAGE, subcode: UpdateSubcode.INVALID_NEXT_HOP,
    action: 'treat-as-withdraw', detail: ours ? `next hop ${addr} is our own address` : `next hop ${addr} is not usable`,
    attr: v6 ? 14 : 3 });
}

/**
 * Session checks of a decoded UPDATE; returns the result with LOCAL_PREF removed for eBGP
 * (RFC 4271 §5.1.5: ignored from external peers) and any new problems added.
 */
export function validateUpdate(result: UpdateDecodeResult, s: SessionContext): UpdateDecodeResult {
  const { message } = result;
  const problems: WireError[] = [...result.problems];
  let attributes = message.attributes;
  const ebgp = isEbgp(s);
  if (ebgp && attributes.localPref !== undefined) {
    const { localPref: _lp, ...rest } = attributes;
    attributes = rest;
  }
  const announces = message.nlri.length > 0 || (attributes.mpReach?.type === 'unicast' && attributes.mpReach.nlri.length > 0);
  const path = attributes.asPath;
  if (ebgp && announces && path) {
    const asPathError = (detail: string): WireError =>
      new WireError({ code: ErrorCode.UPDATE_MESSAGE, subcode: UpdateSubcode.MALFORMED_AS_PATH,
        action: 'treat-as-withdraw', attr: 2, detail });
    if ((s.enforceFirstAs ?? true) && firstAs(path) !== s.peerAs) {
      problems.push(asPathError(`leftmost AS ${firstAs(path) ?? 'none'} is not the peer's ${s.peerAs}`));
    }
    // RFC 5065 §5.3: confederation segments from outside the confederation (we are in none).
    if (path.some((seg) => seg.type === 'confed-sequence' || seg.type === 'confed-set')) {
      problems.push(asPathError('confederation segment from an external peer'));
    }
  }
  if (message.nlri.length > 0 && attributes.nextHop !== undefined) {
    const p = nextHopProblem(attributes.nextHop, s, false);
    if (p) problems.push(p);
  }
  const mp = attributes.mpReach;
  if (mp?.type === 'unicast' && mp.nlri.length > 0) {
    const p = nextHopProblem(mp.nextHop, s, mp.nextHop.includes(':'));
    if (p) problems.push(p);
  }
  let action: UpdateAction = result.action;
  for (const p of problems) {
    if (p.action === 'treat-as-withdraw' || p.action === 'attribute-discard') action = strongerAction(action, p.action);
  }
  return { message: { ...message, attributes }, problems, action };
}

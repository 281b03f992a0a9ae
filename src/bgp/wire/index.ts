// src/bgp/wire: the BGP-4 wire codec. Pure: bytes in, typed messages out, and back. No sockets,
// timers, files or clocks; nothing here imports the FSM, RIB or anything outside src/bgp/wire
// except the shared error base.
//
// Shape
// - Framer (framer.ts) cuts a byte stream into messages and checks headers (RFC 4271 §6.1).
// - decodeFrame / decodeMessage (message.ts) decode a message with a CodecContext, the facts
//   negotiated in OPEN (4-octet AS, Extended Message); encodeMessage is the inverse.
// - One file per message (messages/), per capability (capabilities/), per path attribute
//   (attributes/). Types are discriminated unions on a literal `type`.
// - pack.ts packs many prefixes into few UPDATEs; end-of-rib.ts builds and spots End-of-RIB;
//   attributes/as4.ts merges/splits AS4_PATH for 2-octet peers; validate.ts holds the checks
//   that need the session (peer AS, our addresses).
//
// Errors (RFC 4271 §6, RFC 7606). A malformed message becomes a WireError carrying the
// NOTIFICATION (code, subcode, data) and the RFC 7606 action:
// - session-reset (and af-disable, "AFI/SAFI disable if supported, else reset") are *thrown*:
//   header errors, OPEN errors, UPDATE field-length and NLRI syntax errors, MP_* errors,
//   duplicate MP_*, unrecognised well-known attributes.
// - treat-as-withdraw and attribute-discard are *returned*: decodeUpdate gives
//   { message, problems, action } with action = the strongest problem (RFC 7606 §3). Discarded
//   attributes are already absent from the message; for treat-as-withdraw the message keeps
//   what was announced and updateRoutes() turns it into withdrawals. Nothing is sent to the
//   peer for these.
// The encoder throws EncodeError (our bug, not the peer's) for values that do not fit.
//
// Invariants: decoding hostile bytes throws nothing but WireError and always terminates
// (property-tested); encode(decode(x)) reproduces captures of BIRD, FRR and GoBGP byte for byte.

export * from './constants.js';
export * from './context.js';
export * from './errors.js';
export * from './notification-codes.js';
export { formatIpv4, formatIpv6, parseIp, parseIpv4, parseIpv6 } from './address.js';
export * from './prefix.js';
export * from './header.js';
export * from './framer.js';
export * from './message.js';
export * from './messages/open.js';
export * from './messages/update.js';
export * from './messages/notification.js';
export * from './messages/keepalive.js';
export * from './messages/route-refresh.js';
export * from './capabilities/capability.js';
export type { AddPathCapability, AddPathFamily, AddPathMode } from './capabilities/add-path.js';
export type { ExtendedNextHopCapability, ExtendedNextHopFamily } from './capabilities/extended-next-hop.js';
export type { FqdnCapability } from './capabilities/fqdn.js';
export type { GracefulRestartCapability, GracefulRestartFamily } from './capabilities/graceful-restart.js';
export type { LongLivedGracefulRestartCapability, LongLivedGracefulRestartFamily } from './capabilities/long-lived-gr.js';
export { BgpRole, type RoleCapability } from './capabilities/role.js';
export { decodeCapabilities, encodeCapability } from './capabilities/codec.js';
export type { PathAttributes } from './attributes/path-attributes.js';
export type { Origin } from './attributes/origin.js';
export { asPathLength, firstAs, prependAs, type AsPath, type AsPathSegment, type AsPathSegmentType } from './attributes/as-path.js';
export type { Aggregator } from './attributes/aggregator.js';
export { community, formatCommunity, WellKnownCommunity } from './attributes/communities.js';
export { formatLargeCommunity, type LargeCommunity } from './attributes/large-communities.js';
export type { MpReach, MpReachOther, MpReachUnicast } from './attributes/mp-reach.js';
export type { MpUnreach, MpUnreachOther, MpUnreachUnicast } from './attributes/mp-unreach.js';
export type { UnknownAttribute } from './attributes/unknown.js';
export { decodeAttributes, encodeAttributes, type AttributesDecodeResult } from './attributes/codec.js';
export { attributeName } from './attributes/registry.js';
export { mergeAs4Path, splitAs4Path, type MergedAs4 } from './attributes/as4.js';
export { attributesForPropagation } from './attributes/propagate.js';
export * from './end-of-rib.js';
export * from './pack.js';
export * from './validate.js';

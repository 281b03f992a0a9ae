// Packs many prefixes that share one attribute set into as few UPDATEs as fit the negotiated
// maximum size (RFC 4271 §4.3 / RFC 8654). IPv4 goes in the NLRI / Withdrawn Routes fields,
// IPv6 in MP_REACH_NLRI / MP_UNREACH_NLRI (RFC 4760).
//
// Why the count is minimal: every message has the same fixed part, so this is bin packing of
// prefix sizes (1..5 octets for IPv4, 1..17 for IPv6) into equal bins. Each message takes the
// largest remaining prefixes first and tops up with smaller ones, so a message only closes when
// not even the smallest remaining prefix fits: with one prefix length (the common case, e.g.
// /32 pod routes) that is optimal; in general a message wastes less than one prefix.

import { AFI_IPV4, type Afi, HEADER_LENGTH, SAFI_UNICAST } from './constants.js';
import { type CodecContext, maxMessageLength } from './context.js';
import { EncodeError } from './errors.js';
import { encodeAttributes } from './attributes/codec.js';
import { mpReachFixedSize } from './attributes/mp-reach.js';
import type { PathAttributes } from './attributes/path-attributes.js';
import { encodeMessage } from './message.js';
import { encodedPrefixSize, type Prefix } from './prefix.js';

/** Splits prefixes into batches whose encoded sizes each sum to at most `room`. */
function binPack(prefixes: readonly Prefix[], room: number): Prefix[][] {
  const bySize = new Map<number, Prefix[]>();
  for (const p of prefixes) {
    const s = encodedPrefixSize(p);
    if (s > room) throw new EncodeError(`no room for even one prefix (${room} octets left by the attributes)`);
    const list = bySize.get(s);
    if (list) list.push(p);
    else bySize.set(s, [p]);
  }
  const sizes = [...bySize.keys()].sort((a, b) => b - a);
  const next = new Map<number, number>(sizes.map((s) => [s, 0]));
  let left = prefixes.length;
  const batches: Prefix[][] = [];
  while (left > 0) {
    const batch: Prefix[] = [];
    let free = room;
    for (const s of sizes) {
      const list = bySize.get(s) ?? [];
      let i = next.get(s) ?? 0;
      const take = Math.min(list.length - i, Math.floor(free / s));
      for (let k = 0; k < take; k++) batch.push(list[i++] as Prefix);
      free -= take * s;
      next.set(s, i);
    }
    left -= batch.length;
    batches.push(batch);
  }
  return batches;
}

export interface AnnounceInput {
  readonly afi: Afi;
  readonly prefixes: readonly Prefix[];
  /** Shared attributes; NEXT_HOP and MP_* in here are replaced from `nextHop`. */
  readonly attributes: PathAttributes;
  /** IPv4 NEXT_HOP, or the IPv6 global next hop for MP_REACH_NLRI. */
  readonly nextHop: string;
  /** RFC 2545 link-local next hop (IPv6 only). */
  readonly linkLocalNextHop?: string;
}

// Fixed part of every UPDATE: header, Withdrawn Routes Length, Total Path Attribute Length.
const UPDATE_FIXED = HEADER_LENGTH + 2 + 2;
// An MP_* attribute header with Extended Length (used once its value passes 255 octets).
const MP_ATTR_HEADER = 4;

export function packAnnouncements(input: AnnounceInput, ctx: CodecContext): Buffer[] {
  const max = maxMessageLength(ctx);
  const { mpReach: _r, mpUnreach: _u, nextHop: _n, ...shared } = input.attributes;
  for (const p of input.prefixes) {
    if (p.afi !== input.afi) throw new EncodeError(`prefix of AFI ${p.afi} in an AFI ${input.afi} announcement`);
  }
  if (input.afi === AFI_IPV4) {
    const attributes: PathAttributes = { ...shared, nextHop: input.nextHop };
    const room = max - UPDATE_FIXED - encodeAttributes(attributes, ctx).length;
    return binPack(input.prefixes, room).map((nlri) =>
      encodeMessage({ type: 'update', withdrawn: [], attributes, nlri }, ctx),
    );
  }
  const fixed = mpReachFixedSize(input.nextHop, input.linkLocalNextHop);
  const room = max - UPDATE_FIXED - encodeAttributes(shared, ctx).length - MP_ATTR_HEADER - fixed;
  const nh = input.linkLocalNextHop === undefined
    ? { nextHop: input.nextHop }
    : { nextHop: input.nextHop, linkLocalNextHop: input.linkLocalNextHop };
  return binPack(input.prefixes, room).map((nlri) =>
    encodeMessage(
      { type: 'update', withdrawn: [], nlri: [],
        attributes: { ...shared, mpReach: { type: 'unicast', afi: input.afi, safi: SAFI_UNICAST, ...nh, nlri } } },
      ctx,
    ),
  );
}

/** Withdrawals need no attributes; prefixes of both families may be mixed. */
export function packWithdrawals(prefixes: readonly Prefix[], ctx: CodecContext): Buffer[] {
  const max = maxMessageLength(ctx);
  const v4 = prefixes.filter((p) => p.afi === AFI_IPV4);
  const v6 = prefixes.filter((p) => p.afi !== AFI_IPV4);
  const out: Buffer[] = [];
  for (const withdrawn of v4.length ? binPack(v4, max - UPDATE_FIXED) : []) {
    out.push(encodeMessage({ type: 'update', withdrawn, attributes: {}, nlri: [] }, ctx));
  }
  // MP_UNREACH_NLRI value: AFI (2) + SAFI (1) + withdrawn routes.
  for (const w of v6.length ? binPack(v6, max - UPDATE_FIXED - MP_ATTR_HEADER - 3) : []) {
    const mpUnreach = { type: 'unicast', afi: 2, safi: SAFI_UNICAST, withdrawn: w } as const;
    out.push(encodeMessage({ type: 'update', withdrawn: [], attributes: { mpUnreach }, nlri: [] }, ctx));
  }
  return out;
}

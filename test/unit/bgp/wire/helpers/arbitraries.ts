// fast-check arbitraries for canonical BGP messages: values the decoder would produce, so that
// decode(encode(m)) must equal m.

import fc from 'fast-check';
import {
  type Aggregator,
  type AsPath,
  type AsPathSegment,
  AttrType,
  type BgpMessage,
  type Capability,
  CapabilityCode,
  type CodecContext,
  formatIpv4,
  formatIpv6,
  type LargeCommunity,
  type MpReach,
  type MpUnreach,
  type OpenMessage,
  type PathAttributes,
  type Prefix,
  type UnknownAttribute,
  type UpdateMessage,
} from '../../../../../src/bgp/wire/index.js';

export const ipv4 = fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => formatIpv4(b));
export const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => formatIpv6(b));

function masked(bytes: Uint8Array, length: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  for (let i = 0; i < out.length; i++) {
    const bits = length - 8 * i;
    if (bits < 8) out[i] = bits <= 0 ? 0 : (out[i] ?? 0) & ((0xff << (8 - bits)) & 0xff);
  }
  return out;
}

export const prefixV4: fc.Arbitrary<Prefix> = fc
  .tuple(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.integer({ min: 0, max: 32 }))
  .map(([b, length]) => ({ afi: 1, address: formatIpv4(masked(b, length)), length }));
export const prefixV6: fc.Arbitrary<Prefix> = fc
  .tuple(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 128 }))
  .map(([b, length]) => ({ afi: 2, address: formatIpv6(masked(b, length)), length }));

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u8 = fc.integer({ min: 0, max: 0xff });

const segment = (asn: fc.Arbitrary<number>, types: AsPathSegment['type'][]): fc.Arbitrary<AsPathSegment> =>
  fc.record({ type: fc.constantFrom(...types), asns: fc.array(asn, { minLength: 1, maxLength: 20 }) });

const asPath = (asn: fc.Arbitrary<number>): fc.Arbitrary<AsPath> =>
  fc.array(segment(asn, ['sequence', 'set', 'confed-sequence', 'confed-set']), { maxLength: 4 });

const aggregator = (asn: fc.Arbitrary<number>): fc.Arbitrary<Aggregator> => fc.record({ asn, address: ipv4 });

const large: fc.Arbitrary<LargeCommunity> = fc.record({ globalAdmin: u32, local1: u32, local2: u32 });

const KNOWN_ATTRS = new Set<number>(Object.values(AttrType));
const unknownAttrs: fc.Arbitrary<UnknownAttribute[]> = fc
  .uniqueArray(
    fc.record({
      typeCode: u8.filter((t) => !KNOWN_ATTRS.has(t)),
      flags: fc.constantFrom(0x80, 0xc0, 0xe0, 0x90, 0xd0, 0xf0),
      value: fc.uint8Array({ maxLength: 300 }),
    }),
    { selector: (u) => u.typeCode, maxLength: 3 },
  )
  .map((us) =>
    us
      .map((u) => ({ ...u, flags: u.value.length > 255 ? u.flags | 0x10 : u.flags, value: Buffer.from(u.value) }))
      .sort((a, b) => a.typeCode - b.typeCode),
  );

const mpReach: fc.Arbitrary<MpReach> = fc.oneof(
  fc.record({ type: fc.constant('unicast' as const), afi: fc.constant(1 as const), safi: fc.constant(1),
    nextHop: ipv4, nlri: fc.array(prefixV4, { maxLength: 20 }) }),
  fc.record({ type: fc.constant('unicast' as const), afi: fc.constant(2 as const), safi: fc.constant(1),
    nextHop: ipv6, nlri: fc.array(prefixV6, { maxLength: 20 }) }),
  fc.record({ type: fc.constant('unicast' as const), afi: fc.constant(2 as const), safi: fc.constant(1),
    nextHop: ipv6, linkLocalNextHop: ipv6, nlri: fc.array(prefixV6, { maxLength: 20 }) }),
);

const mpUnreach: fc.Arbitrary<MpUnreach> = fc.oneof(
  fc.record({ type: fc.constant('unicast' as const), afi: fc.constant(1 as const), safi: fc.constant(1),
    withdrawn: fc.array(prefixV4, { maxLength: 20 }) }),
  fc.record({ type: fc.constant('unicast' as const), afi: fc.constant(2 as const), safi: fc.constant(1),
    withdrawn: fc.array(prefixV6, { maxLength: 20 }) }),
  fc.record({ type: fc.constant('other' as const), afi: fc.constant(25), safi: fc.constant(70),
    data: fc.uint8Array({ maxLength: 30 }).map((d) => Buffer.concat([Buffer.from([0, 25, 70]), d])) }),
);

/** Drops undefined fields so toEqual compares like with like. */
function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export const attributes = (ctx: CodecContext): fc.Arbitrary<PathAttributes> => {
  const asn = ctx.fourOctetAs ? u32 : u16;
  return fc
    .record(
      {
        origin: fc.constantFrom('igp' as const, 'egp' as const, 'incomplete' as const),
        asPath: asPath(asn),
        nextHop: ipv4,
        med: u32,
        localPref: u32,
        atomicAggregate: fc.constant(true as const),
        aggregator: aggregator(asn),
        communities: fc.array(u32, { minLength: 1, maxLength: 80 }),
        originatorId: ipv4,
        clusterList: fc.array(ipv4, { minLength: 1, maxLength: 5 }),
        mpReach,
        mpUnreach,
        as4Path: ctx.fourOctetAs ? fc.constant(undefined) : fc.array(segment(u32, ['sequence', 'set']), { maxLength: 3 }),
        as4Aggregator: ctx.fourOctetAs ? fc.constant(undefined) : aggregator(u32),
        largeCommunities: fc.array(large, { minLength: 1, maxLength: 10 }),
        unknown: unknownAttrs.map((u) => (u.length ? u : undefined)),
      },
      { requiredKeys: ['origin', 'asPath', 'nextHop'] },
    )
    .map((a) => compact(a) as PathAttributes);
};

export const context: fc.Arbitrary<CodecContext> = fc.record({
  fourOctetAs: fc.boolean(),
  extendedMessage: fc.constant(true),
});

/** UPDATEs that decode without problems: announcements carry the mandatory attributes. */
export const update = (ctx: CodecContext): fc.Arbitrary<UpdateMessage> =>
  fc.oneof(
    fc.record({
      type: fc.constant('update' as const),
      withdrawn: fc.array(prefixV4, { maxLength: 30 }),
      attributes: attributes(ctx),
      nlri: fc.array(prefixV4, { maxLength: 30 }),
    }),
    fc.record({
      type: fc.constant('update' as const),
      withdrawn: fc.array(prefixV4, { maxLength: 30 }),
      attributes: mpUnreach.map((m) => ({ mpUnreach: m })),
      nlri: fc.constant([]),
    }),
  );

const KNOWN_CAPS = new Set<number>(Object.values(CapabilityCode));

export const capability: fc.Arbitrary<Capability> = fc.oneof(
  fc.record({ type: fc.constant('multiprotocol' as const), afi: u16, safi: u8 }),
  fc.record({ type: fc.constant('four-octet-as' as const), asn: u32 }),
  fc.constantFrom(
    { type: 'route-refresh' as const },
    { type: 'route-refresh-cisco' as const },
    { type: 'enhanced-route-refresh' as const },
    { type: 'extended-message' as const },
  ),
  fc.record({
    type: fc.constant('graceful-restart' as const),
    restarting: fc.boolean(),
    notification: fc.boolean(),
    restartTime: fc.integer({ min: 0, max: 4095 }),
    families: fc.array(fc.record({ afi: u16, safi: u8, forwardingState: fc.boolean() }), { maxLength: 4 }),
  }),
  fc.record({
    type: fc.constant('long-lived-graceful-restart' as const),
    families: fc.array(
      fc.record({ afi: u16, safi: u8, forwardingState: fc.boolean(), staleTime: fc.integer({ min: 0, max: 0xffffff }) }),
      { maxLength: 4 },
    ),
  }),
  fc.record({
    type: fc.constant('add-path' as const),
    families: fc.array(
      fc.record({ afi: u16, safi: u8, mode: fc.constantFrom('receive' as const, 'send' as const, 'both' as const) }),
      { maxLength: 4 },
    ),
  }),
  fc.record({
    type: fc.constant('fqdn' as const),
    hostname: fc.string({ unit: 'grapheme-ascii', maxLength: 60 }),
    domain: fc.string({ unit: 'grapheme-ascii', maxLength: 60 }),
  }),
  fc.record({ type: fc.constant('role' as const), role: u8 }),
  fc.record({
    type: fc.constant('extended-next-hop' as const),
    families: fc.array(fc.record({ afi: u16, safi: u16, nextHopAfi: u16 }), { maxLength: 4 }),
  }),
  fc.record({
    type: fc.constant('unknown' as const),
    code: u8.filter((c) => !KNOWN_CAPS.has(c)),
    data: fc.uint8Array({ maxLength: 40 }).map((d) => Buffer.from(d)),
  }),
);

export const open: fc.Arbitrary<OpenMessage> = fc
  .record({
    myAs: u16,
    holdTime: u16,
    bgpId: ipv4,
    capabilities: fc.array(capability, { maxLength: 12 }),
    perParam: fc.boolean(),
  })
  .map(({ perParam, ...o }) =>
    perParam && o.capabilities.length >= 2
      ? { type: 'open' as const, ...o, capabilityLayout: 'one-per-parameter' as const }
      : { type: 'open' as const, ...o },
  );

export const message = (ctx: CodecContext): fc.Arbitrary<BgpMessage> =>
  fc.oneof(
    open,
    update(ctx),
    fc.record({
      type: fc.constant('notification' as const),
      code: u8,
      subcode: u8,
      data: fc.uint8Array({ maxLength: 64 }).map((d) => Buffer.from(d)),
    }),
    fc.constant({ type: 'keepalive' as const }),
    fc.record({ type: fc.constant('route-refresh' as const), afi: u16, safi: u8, subtype: u8 }),
  );

// Session-context checks (validate.ts).

import { describe, expect, it } from 'vitest';
import {
  buildOpen,
  type CodecContext,
  decodeUpdate,
  encodeUpdate,
  type SessionContext,
  type UpdateMessage,
  updateRoutes,
  validateOpen,
  validateUpdate,
  WireError,
} from '../../../../src/bgp/wire/index.js';

const CTX: CodecContext = { fourOctetAs: true, extendedMessage: false };
const EBGP: SessionContext = { localAs: 65000, peerAs: 65001, routerId: '10.0.0.1', localAddresses: ['192.0.2.254'] };
const IBGP: SessionContext = { ...EBGP, peerAs: 65000 };

function thrown(f: () => unknown): WireError {
  try {
    f();
  } catch (e) {
    if (e instanceof WireError) return e;
    throw e;
  }
  throw new Error('expected a WireError');
}

const route = (attrs: Partial<UpdateMessage['attributes']>): UpdateMessage => ({
  type: 'update',
  withdrawn: [],
  attributes: { origin: 'igp', asPath: [{ type: 'sequence', asns: [65001] }], nextHop: '192.0.2.1', ...attrs },
  nlri: [{ afi: 1, address: '198.51.100.0', length: 24 }],
});

const check = (m: UpdateMessage, s: SessionContext) => validateUpdate(decodeUpdate(encodeUpdate(m, CTX), CTX), s);

describe('validateOpen', () => {
  const open = buildOpen({ asn: 65001, holdTime: 90, bgpId: '10.0.0.2', capabilities: [] });
  it('accepts a well-formed OPEN from the configured AS', () => {
    expect(() => validateOpen(open, EBGP)).not.toThrow();
  });
  it.each([
    ['hold time 2', { ...open, holdTime: 2 }, 6],
    ['another AS', buildOpen({ asn: 65009, holdTime: 90, bgpId: '10.0.0.2', capabilities: [] }), 2],
    ['BGP identifier 0.0.0.0', { ...open, bgpId: '0.0.0.0' }, 3],
    ['AS_TRANS in the 4-octet capability', buildOpen({ asn: 23456, holdTime: 90, bgpId: '10.0.0.2', capabilities: [] }), 2],
  ])('%s', (_n, o, subcode) => {
    const e = thrown(() => validateOpen(o, EBGP));
    expect([e.notification.code, e.notification.subcode]).toEqual([2, subcode]);
  });
  it('an iBGP peer with our identifier', () => {
    const o = buildOpen({ asn: 65000, holdTime: 90, bgpId: '10.0.0.1', capabilities: [] });
    expect(thrown(() => validateOpen(o, IBGP)).notification.subcode).toBe(3);
  });
});

describe('validateUpdate', () => {
  it('passes a good eBGP route', () => {
    const r = check(route({}), EBGP);
    expect(r.action).toBe('none');
    expect(r.problems).toEqual([]);
  });

  it('drops LOCAL_PREF from an eBGP peer, keeps it from iBGP (RFC 4271 §5.1.5)', () => {
    expect(check(route({ localPref: 300 }), EBGP).message.attributes.localPref).toBeUndefined();
    expect(check(route({ asPath: [], localPref: 300 }), IBGP).message.attributes.localPref).toBe(300);
  });

  it.each([
    ['leftmost AS is not the peer', route({ asPath: [{ type: 'sequence', asns: [65009, 65001] }] }), 11],
    ['empty AS_PATH from eBGP', route({ asPath: [] }), 11],
    ['confederation segment from eBGP', route({ asPath: [{ type: 'sequence', asns: [65001] }, { type: 'confed-set', asns: [1] }] }), 11],
    ['NEXT_HOP is our own address', route({ nextHop: '192.0.2.254' }), 8],
    ['NEXT_HOP 0.0.0.0', route({ nextHop: '0.0.0.0' }), 8],
    ['NEXT_HOP multicast', route({ nextHop: '224.0.0.5' }), 8],
    ['NEXT_HOP loopback', route({ nextHop: '127.0.0.1' }), 8],
  ])('%s -> treat-as-withdraw', (_n, m, subcode) => {
    const r = check(m, EBGP);
    expect(r.action).toBe('treat-as-withdraw');
    expect(r.problems.map((p) => p.notification.subcode)).toEqual([subcode]);
    expect(updateRoutes(r).announced).toEqual([]);
  });

  it('a route server peer may turn enforce-first-as off', () => {
    const m = route({ asPath: [{ type: 'sequence', asns: [65009] }] });
    expect(check(m, { ...EBGP, enforceFirstAs: false }).action).toBe('none');
  });

  it('checks the MP_REACH_NLRI next hop too', () => {
    const m: UpdateMessage = {
      type: 'update',
      withdrawn: [],
      nlri: [],
      attributes: {
        origin: 'igp',
        asPath: [{ type: 'sequence', asns: [65001] }],
        mpReach: { type: 'unicast', afi: 2, safi: 1, nextHop: 'ff02::1', nlri: [{ afi: 2, address: '2001:db8::', length: 32 }] },
      },
    };
    expect(check(m, EBGP).action).toBe('treat-as-withdraw');
  });
});

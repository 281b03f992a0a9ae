// The RFC rules a route crosses on its way in (loop detection) and out (export attributes, then
// the export policy): LOCAL_PREF never towards eBGP, next-hop-self not on reflected paths,
// CLUSTER_LIST loops, NO_EXPORT / NO_ADVERTISE.

import { describe, expect, it } from 'vitest';
import { parsePrefix, WellKnownCommunity, type PathAttributes } from '../../../src/bgp/wire/index.js';
import { ACCEPT_ALL, type RoutePolicy } from '../../../src/bgp/speaker/policy.js';
import {
  exportRoute,
  isLoop,
  type ExportPeer,
  type ExportSource,
  type LocalIdentity,
  type RouteAttrs,
} from '../../../src/bgp/speaker/route-rules.js';

const me: LocalIdentity = { asn: 64512, routerId: '192.0.2.1', clusterId: '192.0.2.100' };
const prefix = parsePrefix('10.244.1.0/24');

const local: ExportSource = { key: 'local', local: true, ebgp: false, routeReflectorClient: false, bgpId: '0.0.0.0' };
const fromEbgp: ExportSource = { key: '198.51.100.9', local: false, ebgp: true, routeReflectorClient: false, bgpId: '198.51.100.9' };
const fromClient: ExportSource = { key: '192.0.2.11', local: false, ebgp: false, routeReflectorClient: true, bgpId: '192.0.2.11' };
const fromNonClient: ExportSource = { key: '192.0.2.21', local: false, ebgp: false, routeReflectorClient: false, bgpId: '192.0.2.21' };

const toEbgp: ExportPeer = { key: '198.51.100.1', ebgp: true, routeReflectorClient: false, nextHopSelf: false, localAddress: '198.51.100.254' };
const toIbgp: ExportPeer = { key: '192.0.2.22', ebgp: false, routeReflectorClient: false, nextHopSelf: false, localAddress: '192.0.2.1' };
const toClient: ExportPeer = { key: '192.0.2.12', ebgp: false, routeReflectorClient: true, nextHopSelf: false, localAddress: '192.0.2.1' };

const learned = (pa: PathAttributes, nextHop: string): RouteAttrs => ({ pa: { origin: 'igp', asPath: [], ...pa }, nextHop });
const originated: RouteAttrs = { pa: { origin: 'igp', asPath: [] }, nextHop: '' };

const setLocalPref = (localPref: number): RoutePolicy => ({ rules: [{ action: 'accept', set: { localPref } }], defaultAction: 'accept' });

function out(route: RouteAttrs, from: ExportSource, to: ExportPeer, policy: RoutePolicy = ACCEPT_ALL) {
  return exportRoute(route, { from, to, me, policy, prefix });
}

describe('export: LOCAL_PREF', () => {
  it('is never sent to an eBGP peer, even when the export policy sets it', () => {
    const r = learned({ localPref: 200, asPath: [{ type: 'sequence', asns: [65010] }] }, '198.51.100.9');
    expect(out(r, fromEbgp, toEbgp)?.pa.localPref).toBeUndefined();
    expect(out(originated, local, toEbgp, setLocalPref(300))?.pa.localPref).toBeUndefined();
    expect(out(originated, local, toEbgp, setLocalPref(300))).toHaveProperty('pa.asPath', [{ type: 'sequence', asns: [64512] }]);
  });

  it('is always sent to iBGP peers (100 when absent), and the export policy may set it', () => {
    expect(out(originated, local, toIbgp)?.pa.localPref).toBe(100);
    expect(out(learned({ localPref: 150 }, '192.0.2.11'), fromClient, toClient)?.pa.localPref).toBe(150);
    expect(out(originated, local, toIbgp, setLocalPref(300))?.pa.localPref).toBe(300);
  });

  it('is not sent at all when the export policy rejects the route', () => {
    expect(out(originated, local, toIbgp, { rules: [], defaultAction: 'reject' })).toBeUndefined();
  });
});

describe('export: NEXT_HOP and next-hop-self', () => {
  const fromEbgpRoute = learned({ asPath: [{ type: 'sequence', asns: [65010] }] }, '198.51.100.9');
  const clientRoute = learned({}, '192.0.2.11');

  it('towards eBGP is always our address', () => {
    expect(out(fromEbgpRoute, fromEbgp, toEbgp)?.nextHop).toBe('198.51.100.254');
    expect(out(originated, local, toEbgp)?.nextHop).toBe('198.51.100.254');
    expect(out(fromEbgpRoute, fromEbgp, { ...toEbgp, nextHopSelf: true })?.nextHop).toBe('198.51.100.254');
  });

  it('towards iBGP is unchanged for eBGP-learned paths unless next-hop-self, ours for originated ones', () => {
    expect(out(fromEbgpRoute, fromEbgp, toIbgp)?.nextHop).toBe('198.51.100.9');
    expect(out(fromEbgpRoute, fromEbgp, { ...toIbgp, nextHopSelf: true })?.nextHop).toBe('192.0.2.1');
    expect(out(originated, local, toIbgp)?.nextHop).toBe('192.0.2.1');
  });

  it('is left alone on reflected paths, next-hop-self or not (RFC 4456 10)', () => {
    expect(out(clientRoute, fromClient, toClient)?.nextHop).toBe('192.0.2.11');
    expect(out(clientRoute, fromClient, { ...toClient, nextHopSelf: true })?.nextHop).toBe('192.0.2.11');
    expect(out(clientRoute, fromClient, { ...toIbgp, nextHopSelf: true })?.nextHop).toBe('192.0.2.11');
    expect(out(learned({}, '192.0.2.21'), fromNonClient, { ...toClient, nextHopSelf: true })?.nextHop).toBe('192.0.2.21');
  });
});

describe('export: reflection', () => {
  it('reflects client paths to everyone and non-client paths to clients only, adding ORIGINATOR_ID and our cluster id', () => {
    const r = out(learned({ clusterList: ['192.0.2.200'] }, '192.0.2.11'), fromClient, toIbgp);
    expect(r?.pa.originatorId).toBe('192.0.2.11');
    expect(r?.pa.clusterList).toEqual(['192.0.2.100', '192.0.2.200']);
    expect(out(learned({}, '192.0.2.21'), fromNonClient, toClient)?.pa.originatorId).toBe('192.0.2.21');
    expect(out(learned({}, '192.0.2.21'), fromNonClient, toIbgp)).toBeUndefined();
  });

  it('never sends a path back to the peer it came from', () => {
    expect(out(learned({}, '192.0.2.11'), fromClient, { ...toClient, key: fromClient.key })).toBeUndefined();
  });

  it('strips ORIGINATOR_ID and CLUSTER_LIST, and a foreign MED, towards eBGP', () => {
    const r = out(learned({ originatorId: '192.0.2.11', clusterList: ['192.0.2.100'], med: 5 }, '192.0.2.11'), fromClient, toEbgp);
    expect(r?.pa.originatorId).toBeUndefined();
    expect(r?.pa.clusterList).toBeUndefined();
    expect(r?.pa.med).toBeUndefined();
    expect(out({ pa: { origin: 'igp', asPath: [], med: 7 }, nextHop: '' }, local, toEbgp)?.pa.med).toBe(7);
  });
});

describe('export: well-known communities (RFC 1997)', () => {
  const tagged = (c: number) => learned({ communities: [c] }, '198.51.100.9');

  it('NO_EXPORT and NO_EXPORT_SUBCONFED stay inside the AS', () => {
    for (const c of [WellKnownCommunity.NO_EXPORT, WellKnownCommunity.NO_EXPORT_SUBCONFED]) {
      expect(out(tagged(c), fromEbgp, toEbgp)).toBeUndefined();
      expect(out(tagged(c), fromEbgp, toIbgp)?.pa.communities).toEqual([c]);
    }
  });

  it('NO_ADVERTISE goes to no peer at all', () => {
    const r = tagged(WellKnownCommunity.NO_ADVERTISE);
    expect(out(r, fromEbgp, toEbgp)).toBeUndefined();
    expect(out(r, fromEbgp, toIbgp)).toBeUndefined();
    expect(out(r, fromEbgp, toClient)).toBeUndefined();
  });
});

describe('isLoop', () => {
  it('finds our cluster id anywhere in CLUSTER_LIST (RFC 4456 8)', () => {
    expect(isLoop({ clusterList: ['192.0.2.100'] }, me)).toBe('CLUSTER_LIST holds our cluster id');
    expect(isLoop({ clusterList: ['192.0.2.200', '192.0.2.100'] }, me)).toBe('CLUSTER_LIST holds our cluster id');
  });

  it('compares CLUSTER_LIST with the cluster id, not the router id', () => {
    expect(isLoop({ clusterList: ['192.0.2.1', '192.0.2.200'] }, me)).toBeUndefined();
    expect(isLoop({ clusterList: ['192.0.2.1'] }, { ...me, clusterId: me.routerId })).toBe('CLUSTER_LIST holds our cluster id');
  });

  it('finds our AS in AS_PATH and our router id as ORIGINATOR_ID; accepts the rest', () => {
    expect(isLoop({ asPath: [{ type: 'sequence', asns: [65010, 64512] }] }, me)).toBe('own AS in AS_PATH');
    expect(isLoop({ asPath: [{ type: 'set', asns: [64512] }] }, me)).toBe('own AS in AS_PATH');
    expect(isLoop({ originatorId: '192.0.2.1' }, me)).toBe('ORIGINATOR_ID is our router id');
    expect(isLoop({ asPath: [{ type: 'sequence', asns: [65010] }], originatorId: '192.0.2.11', clusterList: ['192.0.2.200'] }, me)).toBeUndefined();
  });
});

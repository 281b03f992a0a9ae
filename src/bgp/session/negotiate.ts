// What we put in our OPEN and what the two OPENs agree on. Pure.
//
// Capabilities we advertise are exactly the ones we implement: MP-BGP for the configured
// families (RFC 4760), 4-octet AS (RFC 6793, AS_TRANS in My AS when needed), route refresh
// (RFC 2918), graceful restart (RFC 4724) and, when configured, extended message (RFC 8654).
// Never ADD-PATH, extended next hop or LLGR: advertising them would invite encodings we do not
// parse (research/bgp.md 5).

import {
  AFI_IPV4,
  AS_TRANS,
  type AfiSafi,
  type Capability,
  type CodecContext,
  findCapability,
  type GracefulRestartCapability,
  negotiateContext,
  type OpenMessage,
  openAsn,
  SAFI_UNICAST,
} from '../wire/index.js';

export interface LocalOpenConfig {
  readonly asn: number;
  readonly routerId: string;
  readonly holdTime: number;
  readonly families: readonly AfiSafi[];
  readonly extendedMessage?: boolean;
  /** Absent: no graceful restart capability at all. */
  readonly gracefulRestart?: {
    readonly restartTime: number;
    /** R bit: we restarted and ask the peer to keep our routes until our End-of-RIB. */
    readonly restarting: boolean;
    /** Families whose forwarding state we preserved across the restart (F bit). */
    readonly forwardingPreserved: readonly AfiSafi[];
  };
}

export function buildOpen(l: LocalOpenConfig): OpenMessage {
  const caps: Capability[] = l.families.map((f) => ({ type: 'multiprotocol', afi: f.afi, safi: f.safi }));
  caps.push({ type: 'route-refresh' });
  caps.push({ type: 'four-octet-as', asn: l.asn });
  if (l.extendedMessage === true) caps.push({ type: 'extended-message' });
  const gr = l.gracefulRestart;
  if (gr !== undefined) {
    caps.push({
      type: 'graceful-restart',
      restarting: gr.restarting,
      notification: false,
      restartTime: gr.restartTime,
      families: l.families.map((f) => ({
        afi: f.afi,
        safi: f.safi,
        forwardingState: gr.forwardingPreserved.some((p) => p.afi === f.afi && p.safi === f.safi),
      })),
    });
  }
  return { type: 'open', myAs: l.asn > 0xffff ? AS_TRANS : l.asn, holdTime: l.holdTime, bgpId: l.routerId, capabilities: caps };
}

export interface Negotiated {
  readonly ctx: CodecContext;
  readonly peerAsn: number;
  readonly peerBgpId: string;
  /** min(ours, theirs), RFC 4271 4.2. */
  readonly holdTime: number;
  /** Families both sides advertised; a peer with no MP capability implies IPv4 unicast (RFC 4760 8). */
  readonly families: readonly AfiSafi[];
  readonly routeRefresh: boolean;
  /** The peer's graceful restart capability, when both sides advertised one. */
  readonly peerGracefulRestart: GracefulRestartCapability | undefined;
  /** The peer's hostname (FQDN capability), for status output. */
  readonly peerHostname: string | undefined;
}

const sameFamily = (a: AfiSafi, b: AfiSafi) => a.afi === b.afi && a.safi === b.safi;

export function advertisedFamilies(open: OpenMessage): AfiSafi[] {
  const mp = open.capabilities.filter((c) => c.type === 'multiprotocol').map((c) => ({ afi: c.afi, safi: c.safi }));
  return mp.length > 0 ? mp : [{ afi: AFI_IPV4, safi: SAFI_UNICAST }];
}

export function negotiate(local: OpenMessage, remote: OpenMessage, opts: { ebgp: boolean }): Negotiated {
  const ours = advertisedFamilies(local);
  const theirs = advertisedFamilies(remote);
  const rr = (o: OpenMessage) => findCapability(o, 'route-refresh') !== undefined || findCapability(o, 'route-refresh-cisco') !== undefined;
  const localGr = findCapability(local, 'graceful-restart');
  const fqdn = findCapability(remote, 'fqdn');
  return {
    ctx: negotiateContext(local, remote, { ebgp: opts.ebgp }),
    peerAsn: openAsn(remote),
    peerBgpId: remote.bgpId,
    holdTime: Math.min(local.holdTime, remote.holdTime),
    families: ours.filter((f) => theirs.some((t) => sameFamily(f, t))),
    routeRefresh: rr(local) && rr(remote),
    peerGracefulRestart: localGr !== undefined ? findCapability(remote, 'graceful-restart') : undefined,
    peerHostname: fqdn?.hostname,
  };
}

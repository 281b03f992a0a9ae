// What this node's BGP speaker should do, from the cluster's objects and the agent config. Pure:
// the same view always gives the same plan, so the agent just recomputes and hands it over.
//
// Peers come from three places, merged by address (explicit beats mesh):
//  (a) the node mesh: every other Node's InternalIP, one session per address family, iBGP (or
//      eBGP where nodes carry their own AS). Only one side dials: the node with the lower address;
//      the other is passive, so mesh sessions never collide. With route reflectors in the cluster
//      (nodes annotated with a cluster ID) the mesh goes through them: reflectors peer with every
//      node (non-reflectors as their clients), other nodes only with reflectors.
//  (b) BGPPeer objects: global, for one node (spec.node), or for nodes matching spec.nodeSelector.
//  (c) Node annotations in kube-router's style (docs/routing.md lists them), and the agent
//      config's bgp.peers.
// Routes: originate the node's podCIDRs, bgp.advertise, and service addresses as BGPConfiguration
// asks. Import filter (importPolicy): other Nodes' podCIDRs exactly, prefixes inside clusterCIDRs
// and the service ranges, plus exactly the prefixes BGPConfiguration/BGPPeer allow (e.g. a ToR's
// default route), never anything in our own podCIDRs: a peer cannot hijack node, pod or host
// routes. External (non-mesh) peers get only what we originate.

import { isIP } from 'node:net';
import type { PeerSpec } from '../bgp/speaker/speaker.js';
import type { PolicyRule, PrefixMatch, RoutePolicy } from '../bgp/speaker/policy.js';
import type { BgpConfiguration, BgpPeer, KubeObject, Node, Service } from '../k8s/objects.js';
import { cidrContains, parseCidr, parseIp } from '../policy/cidr.js';
import { selectorMatches } from '../policy/selector.js';
import type { AgentConfig } from './config.js';
import { annotationPasswords, secretPassword, type SecretState } from './peer-passwords.js';
import { peerSpecs } from './routing.js';

export const ANNOTATIONS = {
  asn: ['meridian.io/asn', 'kube-router.io/node.asn'],
  routeReflector: ['meridian.io/route-reflector-cluster-id', 'kube-router.io/rr.server'],
  routeReflectorClient: ['kube-router.io/rr.client'],
  peerIps: 'kube-router.io/peer.ips',
  peerAsns: 'kube-router.io/peer.asns',
  peerPorts: 'kube-router.io/peer.ports',
  peerPasswords: 'kube-router.io/peer.passwords',
} as const;

export interface ClusterView {
  readonly nodes: readonly Node[];
  readonly bgpPeers: readonly BgpPeer[];
  readonly bgpConfiguration: BgpConfiguration | undefined;
  readonly services: readonly Service[];
  /** The Secrets BGPPeers name for passwords, by name (in the agent's namespace); read by the agent. */
  readonly secrets?: ReadonlyMap<string, SecretState>;
}

export interface RoutingPlan {
  readonly asn: number;
  readonly routerId: string;
  /** Set when this node is a route reflector. */
  readonly clusterId: string | undefined;
  readonly listenPort: number;
  readonly peers: readonly PeerSpec[];
  readonly originate: readonly string[];
  /** Our own podCIDRs: blackhole routes in the kernel. */
  readonly blackholes: readonly string[];
  /** Every node's podCIDRs and clusterCIDRs: the cluster's pod networks (no SNAT towards them). */
  readonly podRanges: readonly string[];
  /** Objects or annotations that could not be used, and why. */
  readonly problems: readonly string[];
}

/** The routing view of a list of objects. BGPConfiguration "default" wins over others. */
export function viewFromObjects(objects: readonly KubeObject[]): ClusterView {
  const configs = objects.filter((o): o is BgpConfiguration => o.kind === 'BGPConfiguration');
  return {
    nodes: objects.filter((o): o is Node => o.kind === 'Node'),
    bgpPeers: objects.filter((o): o is BgpPeer => o.kind === 'BGPPeer'),
    bgpConfiguration: configs.find((c) => c.name === 'default') ?? configs[0],
    services: objects.filter((o): o is Service => o.kind === 'Service'),
  };
}

function annotation(n: Node, keys: readonly string[]): string | undefined {
  for (const k of keys) {
    const v = n.annotations[k]?.trim();
    if (v !== undefined && v !== '') return v;
  }
  return undefined;
}

/**
 * A cluster ID annotation as the speaker needs it, a dotted quad (RFC 4456 puts 4 octets on the
 * wire). kube-router accepts a uint32 too (`kube-router.io/rr.server: "42"`), so that is turned
 * into its dotted form; anything else is reported and ignored rather than crashing the speaker
 * when it reflects its first route.
 */
export function clusterId(v: string): string | undefined {
  if (isIP(v) === 4) return v;
  if (!/^\d{1,10}$/.test(v)) return undefined;
  const n = Number(v);
  if (n > 0xffffffff) return undefined;
  return [24, 16, 8, 0].map((s) => String(Math.floor(n / 2 ** s) % 256)).join('.');
}

function clusterIdAnnotation(n: Node, keys: readonly string[], problems: string[]): string | undefined {
  const v = annotation(n, keys);
  if (v === undefined) return undefined;
  const id = clusterId(v);
  if (id === undefined) {
    const p = `node ${n.name}: cluster ID ${JSON.stringify(v)} is neither an IPv4 address nor a 32-bit number; ignored`;
    if (!problems.includes(p)) problems.push(p);
  }
  return id;
}

export function internalIp(n: Node, family: 4 | 6): string | undefined {
  return n.addresses.find((a) => a.type === 'InternalIP' && isIP(a.address) === family)?.address;
}

/** Numeric address order (so "10.0.0.9" < "10.0.0.10"). */
function compareIps(a: string, b: string): number {
  const x = parseIp(a)?.addr ?? 0n;
  const y = parseIp(b)?.addr ?? 0n;
  return x < y ? -1 : x > y ? 1 : 0;
}

function nodeAsn(n: Node, fallback: number, problems: string[]): number {
  const v = annotation(n, ANNOTATIONS.asn);
  if (v === undefined) return fallback;
  const asn = Number(v);
  if (!Number.isInteger(asn) || asn < 1 || asn > 4294967295) {
    problems.push(`node ${n.name}: annotation AS ${JSON.stringify(v)} is not an AS number; using ${fallback}`);
    return fallback;
  }
  return asn;
}

function within(prefix: string, ranges: readonly string[]): boolean {
  const [addr = ''] = prefix.split('/');
  const ip = parseIp(addr);
  if (ip === undefined) return false;
  return ranges.some((r) => {
    const c = parseCidr(r);
    return c !== undefined && cidrContains(c, ip.family, ip.addr);
  });
}

function hostPrefix(ip: string): string {
  return `${ip}/${ip.includes(':') ? 128 : 32}`;
}

/** Service addresses to advertise (RFC-free: what Calico and kube-router do). */
export function serviceRoutes(cfg: BgpConfiguration | undefined, services: readonly Service[]): string[] {
  if (cfg === undefined) return [];
  const out = new Set<string>(cfg.serviceClusterIPs);
  for (const s of services) {
    for (const ip of s.externalIPs) if (within(hostPrefix(ip), cfg.serviceExternalIPs)) out.add(hostPrefix(ip));
    for (const ip of s.loadBalancerIPs) if (within(hostPrefix(ip), cfg.serviceLoadBalancerIPs)) out.add(hostPrefix(ip));
  }
  return [...out].sort();
}

/** The prefix itself and everything inside it. */
function orLonger(cidr: string): PrefixMatch {
  return { cidr, le: cidr.includes(':') ? 128 : 32 };
}

/** What every peer may tell us, by where a prefix falls (importPolicy). */
interface ImportRanges {
  /** This node's podCIDRs: only we route them (the blackhole catches unallocated addresses). */
  readonly own: readonly string[];
  /** Every Node's podCIDRs: accepted exactly as the Node has them, never a part of one. */
  readonly nodePods: readonly string[];
  /** clusterCIDRs and the service ranges: anything inside them, at any length. */
  readonly open: readonly string[];
}

/**
 * The import filter, first match wins: nothing equal to or inside our own podCIDRs, from anyone
 * (a more specific one would beat our blackhole, a /32 would steal a pod's traffic); then exactly
 * the prefixes importAllow lists; then each Node's podCIDR exactly, and nothing longer inside one
 * (a /25 or a pod's /32 of another node would win over that node's own route by length); then
 * anything else inside clusterCIDRs or the service ranges. Meridian nodes originate only whole
 * podCIDRs, so the mesh loses nothing by the exact-only rule; service /32s fall in "open".
 */
function importPolicy(r: ImportRanges, allow: readonly string[]): RoutePolicy {
  const rules: PolicyRule[] = [];
  const rule = (prefixes: readonly PrefixMatch[], action: 'accept' | 'reject') => {
    if (prefixes.length > 0) rules.push({ match: { prefixes }, action });
  };
  rule(r.own.map(orLonger), 'reject');
  rule(allow.map((cidr) => ({ cidr })), 'accept');
  rule(r.nodePods.map((cidr) => ({ cidr })), 'accept');
  rule(r.nodePods.map(orLonger), 'reject');
  rule(r.open.map(orLonger), 'accept');
  return { rules, defaultAction: 'reject' };
}

function exportOnly(prefixes: readonly string[]): RoutePolicy {
  return { rules: prefixes.length > 0 ? [{ match: { prefixes: prefixes.map((cidr) => ({ cidr })) }, action: 'accept' }] : [], defaultAction: 'reject' };
}

/** What a reflector passes to iBGP peers: our own prefixes, and cluster-range routes at any length. */
function reflectable(originate: readonly string[], ranges: readonly string[]): RoutePolicy {
  const prefixes: PrefixMatch[] = [...originate.map((cidr) => ({ cidr })), ...ranges.map(orLonger)];
  return { rules: prefixes.length > 0 ? [{ match: { prefixes }, action: 'accept' }] : [], defaultAction: 'reject' };
}

export function planRouting(cfg: AgentConfig, view: ClusterView): RoutingPlan {
  const problems: string[] = [];
  const me = view.nodes.find((n) => n.name === cfg.nodeName);
  if (me === undefined) throw new Error(`node ${cfg.nodeName} is not in the cluster view`);
  const bc = view.bgpConfiguration;
  const clusterAsn = bc?.asNumber ?? cfg.bgp.asn;
  const asn = nodeAsn(me, clusterAsn, problems);
  const myV4 = internalIp(me, 4);
  const routerId = cfg.bgp.routerId ?? myV4;
  if (routerId === undefined) throw new Error(`bgp.routerId is not set and node ${me.name} has no IPv4 InternalIP`);
  const listenPort = bc?.listenPort ?? cfg.bgp.listenPort;
  const restartTime = cfg.bgp.gracefulRestartTime;

  const rrOf = (n: Node) => clusterIdAnnotation(n, ANNOTATIONS.routeReflector, problems);
  const myClusterId = rrOf(me);
  const reflectors = view.nodes.filter((n) => rrOf(n) !== undefined);

  // Allowed into the RIB: other Nodes' podCIDRs exactly, what else lies in the cluster's ranges
  // and service ranges, and exact extras (importPolicy).
  const nodePods = [...new Set(view.nodes.flatMap((n) => n.podCIDRs))];
  const podRanges = [...new Set([...nodePods, ...cfg.clusterCIDRs])];
  const serviceRanges = bc === undefined ? [] : [...bc.serviceClusterIPs, ...bc.serviceExternalIPs, ...bc.serviceLoadBalancerIPs];
  const ranges = [...podRanges, ...serviceRanges];
  const importRanges: ImportRanges = { own: me.podCIDRs, nodePods, open: [...cfg.clusterCIDRs, ...serviceRanges] };
  const originate = [...new Set([...me.podCIDRs, ...cfg.bgp.advertise, ...serviceRoutes(bc, view.services)])];

  const peers = new Map<string, PeerSpec>();
  const mesh = bc?.nodeToNodeMesh ?? cfg.bgp.nodeMesh;
  if (mesh || reflectors.length > 0) {
    for (const other of view.nodes) {
      if (other.name === me.name) continue;
      const otherIsRr = rrOf(other) !== undefined;
      if (reflectors.length > 0) {
        // Through the reflectors: a client talks to reflectors only (of its cluster, if it names
        // one), and a reflector only to the clients that want it: both sides must agree, or the
        // one that dials retries for ever against a peer that never configured it.
        const wantedBy = (n: Node) => clusterIdAnnotation(n, ANNOTATIONS.routeReflectorClient, problems);
        if (myClusterId === undefined) {
          const wanted = wantedBy(me);
          if (!otherIsRr || (wanted !== undefined && rrOf(other) !== wanted)) continue;
        } else if (!otherIsRr) {
          const wanted = wantedBy(other);
          if (wanted !== undefined && wanted !== myClusterId) continue;
        }
      }
      for (const family of [4, 6] as const) {
        const mine = internalIp(me, family);
        const theirs = internalIp(other, family);
        if (mine === undefined || theirs === undefined) continue;
        peers.set(theirs, {
          address: theirs,
          asn: nodeAsn(other, clusterAsn, problems),
          port: listenPort,
          // One side dials: the lower address. The higher one waits.
          passive: compareIps(mine, theirs) > 0,
          routeReflectorClient: myClusterId !== undefined && !otherIsRr,
          gracefulRestart: { restartTime },
          importPolicy: importPolicy(importRanges, bc?.importAllow ?? []),
        });
      }
    }
  }

  const external: PeerSpec[] = [];
  for (const p of view.bgpPeers) {
    if (p.node !== undefined && p.node !== me.name) continue;
    if (p.nodeSelector !== undefined && !selectorMatches(p.nodeSelector, me.labels)) continue;
    const pw = p.passwordSecretRef !== undefined ? secretPassword(p.passwordSecretRef, cfg.namespace, view.secrets) : undefined;
    if (pw !== undefined && 'problem' in pw) {
      problems.push(`BGPPeer ${p.name}: ${pw.problem}`);
      continue;
    }
    external.push({
      address: p.peerIP,
      asn: p.asNumber,
      port: p.port ?? 179,
      passive: p.passive,
      routeReflectorClient: p.routeReflectorClient,
      ...(p.holdTime !== undefined ? { holdTime: p.holdTime } : {}),
      gracefulRestart: p.gracefulRestart === false ? false : { restartTime: typeof p.gracefulRestart === 'object' ? p.gracefulRestart.restartTime : restartTime },
      nextHopSelf: p.nextHopMode === 'self',
      ...(p.maxPrefix !== undefined ? { maxPrefix: p.maxPrefix } : {}),
      ...(p.ebgpMultihop !== undefined ? { ebgpMultihop: p.ebgpMultihop } : {}),
      ...(p.ttlSecurityHops !== undefined ? { ttlSecurityHops: p.ttlSecurityHops } : {}),
      ...(pw !== undefined ? { password: pw.password } : {}),
      importPolicy: importPolicy(importRanges, [...(bc?.importAllow ?? []), ...p.importAllow]),
    });
  }
  // kube-router's node annotations: peer.ips with peer.asns (and optional peer.ports).
  const ips = me.annotations[ANNOTATIONS.peerIps];
  if (ips !== undefined && ips.trim() !== '') {
    const addrs = ips.split(',').map((s) => s.trim());
    const asns = (me.annotations[ANNOTATIONS.peerAsns] ?? '').split(',').map((s) => Number(s.trim()));
    const ports = (me.annotations[ANNOTATIONS.peerPorts] ?? '').split(',').filter((s) => s.trim() !== '').map((s) => Number(s.trim()));
    const pwText = me.annotations[ANNOTATIONS.peerPasswords];
    const pws = pwText !== undefined ? annotationPasswords(pwText, addrs.length) : { passwords: [] };
    if ('problem' in pws) {
      // All or none, as kube-router: never some of the peers without the password meant for them.
      problems.push(`node ${me.name}: ${ANNOTATIONS.peerPasswords}: ${pws.problem}; annotation peers skipped`);
    } else if (asns.length !== addrs.length || (ports.length > 0 && ports.length !== addrs.length)) {
      problems.push(`node ${me.name}: ${ANNOTATIONS.peerIps}, ${ANNOTATIONS.peerAsns} (and ${ANNOTATIONS.peerPorts}) must list the same number of entries`);
    } else {
      for (const [i, address] of addrs.entries()) {
        const a = asns[i] ?? 0;
        if (isIP(address) === 0 || !Number.isInteger(a) || a < 1 || a > 4294967295) {
          problems.push(`node ${me.name}: annotation peer ${JSON.stringify(address)} AS ${JSON.stringify(asns[i])} is not valid`);
          continue;
        }
        const password = pws.passwords[i];
        external.push({ address, asn: a, port: ports[i] ?? 179, gracefulRestart: { restartTime }, ...(password !== undefined ? { password } : {}), importPolicy: importPolicy(importRanges, bc?.importAllow ?? []) });
      }
    }
  }
  for (const p of peerSpecs(cfg)) external.push({ ...p, importPolicy: p.importPolicy ?? importPolicy(importRanges, bc?.importAllow ?? []) });
  // Our route-reflector clients (RFC 4456) must hear what we reflect, and in our AS clients'
  // routes reach non-clients too: those iBGP peers default to what we originate plus what we would
  // import (the cluster's ranges), never a ToR's default route or anything else outside them.
  const reflector = external.some((p) => p.routeReflectorClient === true && p.asn === asn);
  for (const p of external) {
    // External peers hear only what we originate, unless the config gave its own export policy.
    const reflectTo = reflector && p.asn === asn;
    peers.set(p.address, { ...p, exportPolicy: p.exportPolicy ?? (reflectTo ? reflectable(originate, ranges) : exportOnly(originate)) });
  }

  return {
    asn,
    routerId,
    // A reflector node's annotation names its mesh cluster; otherwise bgp.clusterId (for explicit
    // route-reflector clients), else the speaker falls back to the router id (RFC 4456 7).
    clusterId: myClusterId ?? cfg.bgp.clusterId,
    listenPort,
    peers: [...peers.values()].sort((a, b) => compareIps(a.address, b.address)),
    originate: originate.sort(),
    blackholes: [...me.podCIDRs],
    podRanges: podRanges.sort(),
    problems,
  };
}

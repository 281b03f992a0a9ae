// Route policy: ordered rules that match a route by prefix list and communities and accept,
// reject or modify it. Used for import (before the RIB) and export (before Adj-RIB-Out), per peer.
// Pure. The first matching rule decides; with no match the policy's default action applies.
//
// Prefix lists work as in BIRD and FRR: a prefix matches `cidr` if it lies inside it, with a
// length between `ge` (default: the list entry's own length) and `le` (default: `ge`, i.e. exact
// length unless `le` is given): "10.244.0.0/16 le 32" accepts every pod CIDR and host route in
// 10.244/16.

import { community as makeCommunity, parsePrefix, type PathAttributes, type Prefix } from '../wire/index.js';
import { parseIp } from '../wire/index.js';

export interface PrefixMatch {
  readonly cidr: string;
  readonly ge?: number;
  readonly le?: number;
}

export interface PolicyRule {
  readonly match?: {
    readonly prefixes?: readonly PrefixMatch[];
    /** "ASN:VALUE" communities; the route must carry at least one. */
    readonly communities?: readonly string[];
  };
  readonly action: 'accept' | 'reject';
  /** Changes made to an accepted route. */
  readonly set?: {
    readonly localPref?: number;
    readonly med?: number;
    readonly addCommunities?: readonly string[];
  };
}

export interface RoutePolicy {
  readonly rules: readonly PolicyRule[];
  readonly defaultAction: 'accept' | 'reject';
}

export const ACCEPT_ALL: RoutePolicy = { rules: [], defaultAction: 'accept' };

// Address bytes per Prefix object: a received prefix is matched against every rule's CIDR.
const bitsOf = new WeakMap<Prefix, Buffer>();
function prefixBits(p: Prefix): Buffer {
  let b = bitsOf.get(p);
  if (b === undefined) {
    b = parseIp(p.address);
    bitsOf.set(p, b);
  }
  return b;
}

/** Is `p` inside `net` (same family, at least as long, same leading bits)? */
export function prefixWithin(p: Prefix, net: Prefix): boolean {
  if (p.afi !== net.afi || p.length < net.length) return false;
  const a = prefixBits(p);
  const b = prefixBits(net);
  const full = net.length >> 3;
  for (let i = 0; i < full; i++) if (a[i] !== b[i]) return false;
  const rest = net.length & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((a[full] ?? 0) & mask) === ((b[full] ?? 0) & mask);
}

// A policy's CIDR texts are few and reused for every prefix of every UPDATE: parsed once. (At
// 100,000 received prefixes, re-parsing them was the speaker's largest single cost.)
const parsedNets = new Map<string, Prefix>();
function parsedNet(cidr: string): Prefix {
  let net = parsedNets.get(cidr);
  if (net === undefined) {
    if (parsedNets.size > 10_000) parsedNets.clear();
    net = parsePrefix(cidr);
    parsedNets.set(cidr, net);
  }
  return net;
}

export function matchesPrefix(p: Prefix, m: PrefixMatch): boolean {
  const net = parsedNet(m.cidr);
  if (!prefixWithin(p, net)) return false;
  const ge = m.ge ?? net.length;
  const le = m.le ?? (m.ge !== undefined ? (p.afi === 1 ? 32 : 128) : net.length);
  return p.length >= ge && p.length <= le;
}

export function parseCommunity(s: string): number {
  const m = /^(\d{1,5}):(\d{1,5})$/.exec(s);
  const hi = Number(m?.[1]);
  const lo = Number(m?.[2]);
  if (m === null || hi > 0xffff || lo > 0xffff) throw new Error(`community ${JSON.stringify(s)} is not ASN:VALUE (16 bits each)`);
  return makeCommunity(hi, lo);
}

function ruleMatches(r: PolicyRule, p: Prefix, a: PathAttributes): boolean {
  const m = r.match;
  if (m === undefined) return true;
  if (m.prefixes !== undefined && !m.prefixes.some((x) => matchesPrefix(p, x))) return false;
  if (m.communities !== undefined) {
    const have = a.communities ?? [];
    if (!m.communities.map(parseCommunity).some((c) => have.includes(c))) return false;
  }
  return true;
}

export type PolicyResult = { readonly accepted: false } | { readonly accepted: true; readonly attrs: PathAttributes };

export function evaluatePolicy(policy: RoutePolicy, p: Prefix, attrs: PathAttributes): PolicyResult {
  const rule = policy.rules.find((r) => ruleMatches(r, p, attrs));
  const action = rule?.action ?? policy.defaultAction;
  if (action === 'reject') return { accepted: false };
  const set = rule?.set;
  if (set === undefined) return { accepted: true, attrs };
  let out: PathAttributes = attrs;
  if (set.localPref !== undefined) out = { ...out, localPref: set.localPref };
  if (set.med !== undefined) out = { ...out, med: set.med };
  if (set.addCommunities !== undefined && set.addCommunities.length > 0) {
    const add = set.addCommunities.map(parseCommunity);
    const merged = [...(out.communities ?? [])];
    for (const c of add) if (!merged.includes(c)) merged.push(c);
    out = { ...out, communities: merged };
  }
  return { accepted: true, attrs: out };
}

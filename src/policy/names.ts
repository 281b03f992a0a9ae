// Every kernel name the policy engine uses, in one place, so that after a restart what it made is
// known to be its own (chains by prefix, sets by their exact shape, isOurSet) and nothing else is
// ever touched.
//
// Length limits, worked out:
// - iptables chain names: XT_EXTENSION_MAXNAMELEN is 29 bytes with the NUL, so 28 characters.
//   Fixed chains: "MERIDIAN-FORWARD" (16), "MERIDIAN-POD" (12), "MERIDIAN-FROM-POD" (17),
//   "MERIDIAN-TO-POD" (15). Per-object chains: "MRD-" + 2-letter kind + "-" + 16-char hash = 23.
// - ipset names: IPSET_MAXNAMELEN is 32 with the NUL, so 31 characters. "mrd-" + kind (3) +
//   family digit + "-" + 16-char hash = 25; the writer's temporary sets "mrd-tmp-" + 16 = 24.
// - A 16-character base32 hash is 80 bits: with a million objects the chance of any collision is
//   about 4e-13, and the names stay stable across restarts because they depend only on the object.
// - Interface names: IFNAMSIZ is 16 with the NUL, so 15 characters: "mrd" + 12 hex = 15.

import { createHash } from 'node:crypto';
import { podVethName } from '../cni/pod-veth-name.js';
import type { Family } from '../net/ip.js';

export const CHAIN_PREFIXES = ['MERIDIAN-', 'MRD-'] as const;
export const SET_PREFIX = 'mrd-';

export const CHAIN_FORWARD = 'MERIDIAN-FORWARD';
export const CHAIN_POD = 'MERIDIAN-POD';
export const CHAIN_FROM_POD = 'MERIDIAN-FROM-POD';
export const CHAIN_TO_POD = 'MERIDIAN-TO-POD';

/** Comment tag that marks a rule as ours; the hash after it identifies the rule's content. */
export const RULE_TAG = 'mrd:';

/** "Some allow rule matched" bit. Outside kube-proxy's 0x4000/0x8000 and Calico/kube-router's 0x10000/0x20000. */
export const ALLOW_MARK = 0x1000000;

/** Host-side veth prefix: the dispatch chains match `<prefix>+`. */
export const DEFAULT_IFACE_PREFIX = 'mrd';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** 16 base32 characters of SHA-256 over the parts (joined with NUL, which no part can contain). */
export function shortHash(...parts: readonly string[]): string {
  const digest = createHash('sha256').update(parts.join('\0')).digest();
  let out = '';
  let acc = 0;
  let nbits = 0;
  for (const byte of digest) {
    acc = (acc << 8) | byte;
    nbits += 8;
    while (nbits >= 5 && out.length < 16) {
      out += BASE32[(acc >> (nbits - 5)) & 31];
      nbits -= 5;
    }
    acc &= (1 << nbits) - 1;
    if (out.length >= 16) break;
  }
  return out;
}

export function isOurChain(name: string): boolean {
  return CHAIN_PREFIXES.some((p) => name.startsWith(p));
}

// Exactly the names setName() and tempSetName() make. Other "mrd-" sets (routing's mrd-nomasq4/6,
// used by the NAT rules) are not the policy engine's: a read-back must never plan to destroy them.
const POLICY_SET = /^mrd-(?:(?:sel|blk|npt)[46]|tmp)-[A-Z2-7]{16}$/;

export function isOurSet(name: string): boolean {
  return POLICY_SET.test(name);
}

/**
 * Endpoint chains: FW = from workload (its egress), TW = to workload (its ingress). One chain per
 * distinct ordered list of selecting policies ("ns/name"), shared by every local pod selected by
 * exactly that list: the chain's rules depend on nothing else, so rules grow with the policy
 * combinations in use rather than with pods.
 */
export function endpointChain(direction: 'ingress' | 'egress', policies: readonly string[]): string {
  return `MRD-${direction === 'egress' ? 'FW' : 'TW'}-${shortHash('endpoint', direction, ...policies)}`;
}

/** Per-policy chains: PE = egress rules, PI = ingress rules. */
export function policyChain(direction: 'ingress' | 'egress', namespace: string, name: string): string {
  return `MRD-${direction === 'egress' ? 'PE' : 'PI'}-${shortHash('policy', namespace, name)}`;
}

export type SetKind = 'sel' | 'blk' | 'npt';

/** A set's name from what it holds (its canonical key), so equal contents share one set. */
export function setName(kind: SetKind, family: Family, key: string): string {
  return `${SET_PREFIX}${kind}${family}-${shortHash(kind, String(family), key)}`;
}

/** The temporary set the writer fills and swaps in for `name`. */
export function tempSetName(name: string): string {
  return `${SET_PREFIX}tmp-${shortHash('tmp', name)}`;
}

/**
 * Default host-side interface name of a pod: the CNI plugin's own naming (src/cni/pod-veth-name.ts,
 * "mrd" + 12 hex of SHA-256("namespace.name")), so the agent finds a pod's interface from the API
 * object alone (Calico does the same with "cali").
 */
export function defaultHostInterface(namespace: string, name: string, prefix = DEFAULT_IFACE_PREFIX): string {
  return podVethName(namespace, name, { prefix });
}

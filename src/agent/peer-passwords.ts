// TCP MD5 passwords (RFC 2385) for the routing plan, from where the cluster keeps them: a BGPPeer's
// `passwordSecretRef` (a key of a Secret in the agent's namespace) and kube-router's
// `kube-router.io/peer.passwords` node annotation (base64, comma-separated, in the order of
// `kube-router.io/peer.ips`). Pure: the Secrets were read beforehand (peer-secrets.ts).
//
// A peer whose password cannot be had is skipped and reported, never run without it: an
// unauthenticated session is what the password was meant to prevent. Messages name the Secret
// and key, never a value.

import type { BgpPeer } from '../k8s/objects.js';
import { isBase64 } from '../k8s/secret.js';
import { TCP_MD5SIG_MAXKEYLEN } from '../net/tcp-md5-struct.js';

/** A Secret as the planner sees it: its data, or why it could not be had. */
export type SecretState = { readonly found: true; readonly data: Readonly<Record<string, Buffer>> } | { readonly found: false; readonly reason: string };

export type PasswordResult = { readonly password: string } | { readonly problem: string };

/** Names of the Secrets the BGPPeers refer to (in the agent's namespace), sorted, once each. */
export function passwordSecretNames(peers: readonly BgpPeer[]): string[] {
  return [...new Set(peers.flatMap((p) => (p.passwordSecretRef !== undefined ? [p.passwordSecretRef.name] : [])))].sort();
}

/** Bytes as a password: UTF-8 text of 1 to 80 bytes (the kernel's TCP_MD5SIG_MAXKEYLEN). */
function checkPassword(bytes: Buffer, what: string): PasswordResult {
  if (bytes.length === 0) return { problem: `${what} is empty` };
  if (bytes.length > TCP_MD5SIG_MAXKEYLEN) return { problem: `${what} is ${bytes.length} bytes; TCP MD5 keys have at most ${TCP_MD5SIG_MAXKEYLEN}` };
  const text = bytes.toString('utf8');
  // The speaker keys the socket with the UTF-8 of the string: bytes that are not UTF-8 would change.
  if (!Buffer.from(text, 'utf8').equals(bytes)) return { problem: `${what} is not UTF-8 text` };
  return { password: text };
}

const SKIPPED = 'peer skipped rather than run without the authentication it asks for';

/** The password a BGPPeer's passwordSecretRef names, or the problem (with "peer skipped"). */
export function secretPassword(ref: NonNullable<BgpPeer['passwordSecretRef']>, namespace: string, secrets: ReadonlyMap<string, SecretState> | undefined): PasswordResult {
  const id = `Secret ${namespace}/${ref.name}`;
  const s = secrets?.get(ref.name);
  if (s === undefined) return { problem: `password ${id} has not been read; ${SKIPPED}` };
  if (!s.found) return { problem: `password ${id}: ${s.reason}; ${SKIPPED}` };
  const bytes = s.data[ref.key];
  if (bytes === undefined) return { problem: `password ${id} has no key ${JSON.stringify(ref.key)}; ${SKIPPED}` };
  const r = checkPassword(bytes, `the password in ${id} key ${JSON.stringify(ref.key)}`);
  return 'problem' in r ? { problem: `${r.problem}; ${SKIPPED}` } : r;
}

/**
 * kube-router's peer.passwords for `count` annotation peers: one base64 password per peer, in the
 * order of peer.ips; an empty entry is a peer without a password (as in kube-router, where the
 * list is all-or-nothing but a password may be empty).
 */
export function annotationPasswords(value: string, count: number): { readonly passwords: readonly (string | undefined)[] } | { readonly problem: string } {
  const entries = value.split(',').map((s) => s.trim());
  if (entries.length !== count) return { problem: `lists ${entries.length} passwords for ${count} peers (one per entry of kube-router.io/peer.ips)` };
  const passwords: (string | undefined)[] = [];
  for (const [i, e] of entries.entries()) {
    if (e === '') {
      passwords.push(undefined);
      continue;
    }
    if (!isBase64(e)) return { problem: `entry ${i + 1} is not base64` };
    const r = checkPassword(Buffer.from(e, 'base64'), `entry ${i + 1}`);
    if ('problem' in r) return r;
    passwords.push(r.password);
  }
  return { passwords };
}

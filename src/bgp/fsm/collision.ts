// Connection collision detection, RFC 4271 6.8: when both speakers dial each other, two
// connections exist for one peering until one is dropped. Decided once the OPEN on the second
// connection reveals the peer's BGP Identifier. Pure.

export type ConnectionOrigin = 'outbound' | 'inbound';

/**
 * Which connection to keep. "If the value of the local BGP Identifier is less than the remote
 * one, ... close the BGP connection that already exists (the one that is already in the
 * OpenConfirm state), and accept the BGP connection initiated by the remote system" — i.e. the
 * connection initiated by the speaker with the higher identifier survives. Identifiers are
 * compared as unsigned 32-bit integers.
 */
export function resolveCollision(opts: { localBgpId: number; remoteBgpId: number }): ConnectionOrigin {
  return opts.localBgpId > opts.remoteBgpId ? 'outbound' : 'inbound';
}

/** Dotted-quad BGP Identifier <-> unsigned 32-bit integer. */
export function bgpIdToNumber(id: string): number {
  const parts = id.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new Error(`BGP identifier ${JSON.stringify(id)} is not a dotted quad`);
  }
  return parts.reduce((acc, p) => acc * 256 + p, 0);
}

export function bgpIdToString(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

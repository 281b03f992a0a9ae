// KEEPALIVE, RFC 4271 §4.4: the header alone (length exactly 19, enforced by the framer).

export interface KeepaliveMessage {
  readonly type: 'keepalive';
}

export const KEEPALIVE: KeepaliveMessage = { type: 'keepalive' };

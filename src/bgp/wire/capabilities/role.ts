// BGP Role capability (9), RFC 9234 §4.1: one octet naming the sender's role on this session.

export const BgpRole = { PROVIDER: 0, ROUTE_SERVER: 1, ROUTE_SERVER_CLIENT: 2, CUSTOMER: 3, PEER: 4 } as const;

export interface RoleCapability {
  readonly type: 'role';
  /** See BgpRole; other values are reserved but kept as received. */
  readonly role: number;
}

export function decodeRole(value: Buffer): RoleCapability | undefined {
  return value.length === 1 ? { type: 'role', role: value[0] ?? 0 } : undefined;
}

export function encodeRole(c: RoleCapability): Buffer {
  return Buffer.from([c.role]);
}

// Attribute decoders see only their own value bytes and report a problem by throwing an
// AttrFault; the dispatcher (index.ts) turns it into a WireError with the RFC 7606 action of
// that attribute and the NOTIFICATION data RFC 4271 §6.3 asks for. AttrFault never leaves
// the attributes folder.

import { UpdateSubcode } from '../notification-codes.js';

export class AttrFault extends Error {
  constructor(
    readonly subcode: number,
    detail: string,
    /** Data for the NOTIFICATION; default is the whole attribute (type, length, value). */
    readonly data?: Uint8Array,
  ) {
    super(detail);
  }
}

/** RFC 4271 §6.3: a length that does not match the attribute's type is an Attribute Length Error. */
export function expectLength(value: Uint8Array, n: number, what: string): void {
  if (value.length !== n) {
    throw new AttrFault(UpdateSubcode.ATTRIBUTE_LENGTH_ERROR, `${what} length ${value.length}, expected ${n}`);
  }
}

export function expectMultiple(value: Uint8Array, n: number, what: string): void {
  if (value.length % n !== 0 || value.length === 0) {
    throw new AttrFault(
      UpdateSubcode.ATTRIBUTE_LENGTH_ERROR,
      `${what} length ${value.length}, expected a non-zero multiple of ${n}`,
    );
  }
}

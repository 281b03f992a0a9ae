// Golden-byte builder in the manner of pg-protocol's testing/buffer-list.ts: write each field
// with its own call (and comment), then join. `message()` prepends the 19-octet BGP header.

import { parseIpv4, parseIpv6 } from '../../../../../src/bgp/wire/index.js';

export class BufferList {
  private readonly parts: Buffer[] = [];

  u8(v: number): this {
    this.parts.push(Buffer.from([v]));
    return this;
  }

  u16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(v);
    this.parts.push(b);
    return this;
  }

  u24(v: number): this {
    const b = Buffer.alloc(3);
    b.writeUIntBE(v, 0, 3);
    this.parts.push(b);
    return this;
  }

  u32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v);
    this.parts.push(b);
    return this;
  }

  ipv4(a: string): this {
    this.parts.push(parseIpv4(a));
    return this;
  }

  ipv6(a: string): this {
    this.parts.push(parseIpv6(a));
    return this;
  }

  /** Hex with optional spaces: "0a14 00". */
  hex(h: string): this {
    this.parts.push(Buffer.from(h.replace(/\s+/g, ''), 'hex'));
    return this;
  }

  ascii(s: string): this {
    this.parts.push(Buffer.from(s, 'utf8'));
    return this;
  }

  bytes(b: Uint8Array): this {
    this.parts.push(Buffer.from(b));
    return this;
  }

  /** Appends another list, prefixed by its length in one (or two) octets: TLV-style fields. */
  withLength(inner: BufferList, octets: 1 | 2 = 1): this {
    const b = inner.join();
    return octets === 1 ? this.u8(b.length).bytes(b) : this.u16(b.length).bytes(b);
  }

  get length(): number {
    return this.parts.reduce((n, p) => n + p.length, 0);
  }

  join(): Buffer {
    return Buffer.concat(this.parts);
  }

  /** Marker (16 x 0xff), length, type, then this list as the body. */
  message(type: number): Buffer {
    const body = this.join();
    const h = Buffer.alloc(19, 0xff);
    h.writeUInt16BE(19 + body.length, 16);
    h[18] = type;
    return Buffer.concat([h, body]);
  }
}

export const list = (): BufferList => new BufferList();

/** "ffff 0013 04" -> Buffer, spaces ignored. */
export const hex = (h: string): Buffer => Buffer.from(h.replace(/\s+/g, ''), 'hex');

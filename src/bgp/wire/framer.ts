// Turns a TCP byte stream into whole BGP messages, like pg-protocol's parser: feed it chunks of
// any size, it keeps the remainder and hands over each complete frame. It checks headers (a bad
// one is a WireError, session reset) but does not decode bodies: decodeFrame does, so a session
// can apply its codec context, which changes after OPEN. Never reads a socket, never waits.
//
// Cost is linear in the bytes pushed: partial messages are kept as a list of chunks and joined
// once the whole message is there, so a peer trickling a 64 KiB UPDATE one octet at a time
// does not cost 2 GB of copying.

import { HEADER_LENGTH, type MessageTypeCode } from './constants.js';
import { maxMessageLength } from './context.js';
import { asBuffer } from './bytes.js';
import { checkHeader } from './header.js';

export interface Frame {
  readonly type: MessageTypeCode;
  /** The whole message, header included. */
  readonly bytes: Buffer;
  /** The message after the header. */
  readonly body: Buffer;
}

export class Framer {
  private chunks: Buffer[] = [];
  private size = 0;
  /** Octets needed before there is work to do: a header, then the whole message. */
  private need = HEADER_LENGTH;
  /** Raise to 65535 once both sides advertised Extended Message (RFC 8654). */
  extendedMessage: boolean;

  constructor(opts: { readonly extendedMessage?: boolean } = {}) {
    this.extendedMessage = opts.extendedMessage ?? false;
  }

  /** Octets held back waiting for the rest of a message. */
  get buffered(): number {
    return this.size;
  }

  /**
   * Adds a chunk and calls `onFrame` for every message it completes, in order. A bad header
   * throws WireError after the frames before it were delivered (so a NOTIFICATION followed by
   * garbage is still seen); the stream is unusable after that (RFC 4271 §6.1: session reset).
   */
  push(chunk: Uint8Array, onFrame: (frame: Frame) => void): void {
    if (chunk.length === 0) return;
    this.chunks.push(asBuffer(chunk));
    this.size += chunk.length;
    if (this.size < this.need) return;
    const data = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.size);
    const max = maxMessageLength(this);
    let pos = 0;
    let need = HEADER_LENGTH;
    try {
      while (data.length - pos >= HEADER_LENGTH) {
        const { type, length } = checkHeader(data.subarray(pos, pos + HEADER_LENGTH), max);
        if (data.length - pos < length) {
          need = length;
          break;
        }
        const bytes = data.subarray(pos, pos + length);
        pos += length;
        onFrame({ type, bytes, body: bytes.subarray(HEADER_LENGTH) });
      }
    } finally {
      // Copy the tail so a large chunk is not kept alive by a few leftover octets.
      const rest = data.subarray(pos);
      this.chunks = rest.length ? [Buffer.from(rest)] : [];
      this.size = rest.length;
      this.need = need;
    }
  }

  /** push() collecting the frames into an array. */
  pushAll(chunk: Uint8Array): Frame[] {
    const out: Frame[] = [];
    this.push(chunk, (f) => out.push(f));
    return out;
  }
}

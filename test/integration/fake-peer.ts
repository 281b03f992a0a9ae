// A scripted BGP peer for loopback tests, built from our own codec: it dials the speaker under
// test and sends exactly what the test says, when it says it (an OPEN, an UPDATE, nothing at all,
// a TCP loss), which a real speaker would never do on cue. It records what it receives.

import { connect, type Socket } from 'node:net';
import { buildOpen, type LocalOpenConfig } from '../../src/bgp/session/negotiate.js';
import { type BgpMessage, DEFAULT_CONTEXT, decodeFrame, encodeMessage, Framer, KEEPALIVE } from '../../src/bgp/wire/index.js';
import { waitFor } from '../harness/wait.js';

export class FakePeer {
  readonly socket: Socket;
  readonly received: BgpMessage[] = [];
  private readonly framer = new Framer();
  closed = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.framer.push(chunk, (f) => this.received.push(decodeFrame(f, DEFAULT_CONTEXT).message)));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
    });
  }

  /** Connect to host:port from localAddress; resolves once TCP is up. */
  static dial(opts: { host: string; port: number; localAddress: string }): Promise<FakePeer> {
    return new Promise((resolve, reject) => {
      const s = connect(opts);
      s.once('connect', () => resolve(new FakePeer(s)));
      s.once('error', reject);
    });
  }

  send(m: BgpMessage): void {
    this.socket.write(encodeMessage(m, DEFAULT_CONTEXT));
  }

  /** Wait for the n-th received message of a type (1 = the first). */
  async nth(type: BgpMessage['type'], n = 1, timeoutMs = 5000): Promise<BgpMessage> {
    return waitFor(() => this.received.filter((m) => m.type === type)[n - 1], { timeoutMs, intervalMs: 10, what: `message ${n} of type ${type}` });
  }

  /** OPEN both ways, KEEPALIVE both ways; the other end is Established once it read ours. */
  async establish(local: LocalOpenConfig): Promise<void> {
    this.send(buildOpen(local));
    await this.nth('open');
    this.send(KEEPALIVE);
    await this.nth('keepalive');
  }

  destroy(): void {
    this.socket.destroy();
  }
}

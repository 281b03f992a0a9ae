// The lab's side of pod-server.ts: one connection per pod's control socket, many probes in flight
// at once (matched by id), so a whole matrix costs about one probe timeout.

import { connect, type Socket } from 'node:net';
import type { ProbeRequest, ProbeResult } from './pod-server.js';

export class ProbeClient {
  private readonly pending = new Map<number, (r: ProbeResult) => void>();
  private seq = 0;

  private constructor(private readonly sock: Socket) {
    let buf = '';
    sock.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const msg = JSON.parse(buf.slice(0, nl)) as { id: number } & ProbeResult;
        buf = buf.slice(nl + 1);
        this.pending.get(msg.id)?.({ ok: msg.ok, why: msg.why });
        this.pending.delete(msg.id);
      }
    });
    const fail = (why: string): void => {
      for (const r of this.pending.values()) r({ ok: false, why });
      this.pending.clear();
    };
    sock.on('error', (e) => fail(`probe socket: ${e.message}`));
    sock.on('close', () => fail('probe socket closed'));
  }

  static connect(socketPath: string): Promise<ProbeClient> {
    return new Promise((resolve, reject) => {
      const s = connect(socketPath, () => {
        s.off('error', reject);
        resolve(new ProbeClient(s));
      });
      s.once('error', reject);
    });
  }

  probe(req: ProbeRequest): Promise<ProbeResult> {
    const id = ++this.seq;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.sock.write(JSON.stringify({ id, ...req }) + '\n');
    });
  }

  close(): void {
    this.sock.destroy();
  }
}

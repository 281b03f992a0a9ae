// The test side of pod-agent.mjs: starts the agent inside a pod namespace and sends it probes
// over its Unix socket. Many probes run at once on one connection (matched by id), so a truth
// table of a few hundred cells costs about one probe timeout.

import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Netns, World } from './netns.js';
import { waitFor } from './wait.js';

const AGENT = fileURLToPath(new URL('./pod-agent.mjs', import.meta.url));

export type ProbeProtocol = 'TCP' | 'UDP';

export interface ProbeRequest {
  readonly host: string;
  readonly port: number;
  readonly proto: ProbeProtocol;
  readonly timeoutMs?: number;
}

export interface ProbeResult {
  readonly ok: boolean;
  /** "connected", "pong", "timeout", "ECONNREFUSED", …: why a probe failed, for the report. */
  readonly why: string;
}

/** A denied probe waits this long. Same-host veths answer in well under a millisecond. */
export const DEFAULT_PROBE_TIMEOUT_MS = 400;

export class PodProber {
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
  }

  /** Start the agent in `ns` serving `ports`, and connect to it once it listens. */
  static async start(world: World, ns: Netns, opts: { socket: string; ports?: readonly number[] }): Promise<PodProber> {
    const proc = world.spawn(ns, [process.execPath, AGENT, opts.socket, (opts.ports ?? [80, 81]).join(',')]);
    await waitFor(() => proc.output().stdout.includes('ready') || (proc.done() ? Promise.reject(new Error(`agent exited: ${proc.output().stderr}`)) : false), {
      timeoutMs: 10_000,
      what: `pod agent in ${ns.name}`,
    });
    const sock = await new Promise<Socket>((resolve, reject) => {
      const s = connect(opts.socket, () => resolve(s));
      s.on('error', reject);
    });
    return new PodProber(sock);
  }

  probe(req: ProbeRequest): Promise<ProbeResult> {
    const id = ++this.seq;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.sock.write(JSON.stringify({ id, ...req, timeoutMs: req.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS }) + '\n');
    });
  }

  close(): void {
    this.sock.destroy();
  }
}

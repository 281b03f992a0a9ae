// What runs inside each lab pod (and each test pod): one process per pod network namespace that
// serves TCP and UDP on the pod's ports (IPv4 and IPv6, as upstream's agnhost `serve-hostname`
// does) and makes probes on request, so a whole reachability matrix is probed by a few long-lived
// processes instead of thousands of `nc` execs. Node built-ins only: it is bundled on its own
// (dist/meridian-lab-pod.cjs) and starts in tens of milliseconds.
//
// Control is a Unix socket (a file, reachable from any namespace, so the lab in the root namespace
// drives probes without any traffic outside the pod namespaces). One JSON object per line each way
// (probe-client.ts is the other side):
//   -> {"id": 1, "host": "10.244.1.2", "port": 80, "proto": "TCP", "timeoutMs": 400}
//   <- {"id": 1, "ok": true, "why": "connected"}
// A TCP probe succeeds when the connection is established; a UDP probe when "pong" comes back
// (the ping is sent twice, so one lost datagram does not read as a denial).

import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { rmSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';

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

function listenTcp(host: string, port: number, ipv6Only: boolean): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer((c) => {
      c.on('error', () => undefined);
      c.end('pong\n');
    });
    s.on('error', reject);
    s.listen({ host, port, ipv6Only }, () => resolve(s));
  });
}

function listenUdp(type: 'udp4' | 'udp6', port: number): Promise<UdpSocket> {
  return new Promise((resolve, reject) => {
    const u = createSocket({ type, ipv6Only: type === 'udp6' });
    u.on('error', reject);
    u.on('message', (_m, r) => u.send('pong\n', r.port, r.address));
    u.bind(port, () => resolve(u));
  });
}

function probeTcp(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const c = connect({ host, port });
    const done = (ok: boolean, why: string): void => {
      clearTimeout(timer);
      c.destroy();
      resolve({ ok, why });
    };
    const timer = setTimeout(() => done(false, 'timeout'), timeoutMs);
    c.on('connect', () => done(true, 'connected'));
    c.on('error', (e: NodeJS.ErrnoException) => done(false, e.code ?? e.message));
  });
}

// UDP probes use fresh source ports in order, below the kernel's ephemeral range: a random port
// that repeats an earlier probe's 5-tuple would ride on that flow's conntrack entry (still
// ESTABLISHED for 30-120 s) and get through a policy that now denies it, which is the kernel
// being right and the probe being wrong. TCP needs no such care: a new SYN on a closed flow's
// entry is tracked as NEW again.
let nextUdpPort = 10000;
function udpSourcePort(): number {
  const p = nextUdpPort;
  nextUdpPort = nextUdpPort >= 30000 ? 10000 : nextUdpPort + 1;
  return p;
}

function probeUdp(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const u = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const timers: NodeJS.Timeout[] = [];
    let finished = false;
    const done = (ok: boolean, why: string): void => {
      if (finished) return;
      finished = true;
      for (const t of timers) clearTimeout(t);
      u.close();
      resolve({ ok, why });
    };
    u.on('message', (m) => {
      if (m.toString().startsWith('pong')) done(true, 'pong');
    });
    u.on('error', (e: NodeJS.ErrnoException) => done(false, e.code ?? e.message));
    const send = (): void => {
      if (!finished) u.send('ping\n', port, host, () => undefined);
    };
    u.bind(udpSourcePort(), send);
    timers.push(setTimeout(send, timeoutMs / 2));
    timers.push(setTimeout(() => done(false, 'timeout'), timeoutMs));
  });
}

export function probe(req: ProbeRequest): Promise<ProbeResult> {
  const timeoutMs = req.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  if (req.proto === 'TCP') return probeTcp(req.host, req.port, timeoutMs);
  if (req.proto === 'UDP') return probeUdp(req.host, req.port, timeoutMs);
  return Promise.resolve({ ok: false, why: `unsupported protocol ${String(req.proto)}` });
}

/** Serve `ports` (TCP and UDP, IPv4 and IPv6) and probes on `socketPath`; resolves once ready. */
export async function servePod(socketPath: string, ports: readonly number[]): Promise<void> {
  for (const port of ports) {
    await listenTcp('0.0.0.0', port, false);
    await listenTcp('::', port, true);
    await listenUdp('udp4', port);
    await listenUdp('udp6', port);
  }
  rmSync(socketPath, { force: true });
  const control = createServer((c) => {
    let buf = '';
    c.on('error', () => undefined);
    c.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        let req: ProbeRequest & { id: number };
        try {
          req = JSON.parse(line) as ProbeRequest & { id: number };
        } catch {
          c.destroy();
          return;
        }
        void probe(req).then((r) => c.write(JSON.stringify({ id: req.id, ...r }) + '\n'));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    control.once('error', reject);
    control.listen(socketPath, () => resolve());
  });
  process.on('SIGTERM', () => {
    rmSync(socketPath, { force: true });
    process.exit(0);
  });
}

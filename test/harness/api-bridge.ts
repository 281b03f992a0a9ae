// Reach the test control plane from inside node namespaces. kube-apiserver listens on 127.0.0.1
// in the root namespace, which a process in another network namespace cannot reach; a unix
// socket path can be opened from any namespace. So:
//   agent in node ns -> 127.0.0.1:6443 (tcp-to-unix.mjs, one per node ns, kept by PID)
//     -> unix socket <dir>/apiserver.sock -> this forwarder in the test process
//     -> 127.0.0.1:<apiserver port> in the root namespace.
// Nothing is added to the root namespace's network: only a socket file and loopback connections.
// The serving certificate covers 127.0.0.1, so TLS verifies unchanged on the other side.

import { rmSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import type { Netns, Proc, World } from './netns.js';
import { waitFor } from './wait.js';

const FORWARDER = resolve(import.meta.dirname, 'tcp-to-unix.mjs');
export const NODE_API_PORT = 6443;

export class ApiBridge {
  readonly socketPath: string;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly target: { host: string; port: number };

  private constructor(socketPath: string, server: Server, target: { host: string; port: number }) {
    this.socketPath = socketPath;
    this.server = server;
    this.target = target;
  }

  /** Listen on `<dir>/apiserver.sock`, forwarding to the API server URL's host and port. */
  static async start(dir: string, apiUrl: string): Promise<ApiBridge> {
    const u = new URL(apiUrl);
    const target = { host: u.hostname, port: Number(u.port) };
    const socketPath = join(dir, 'apiserver.sock');
    rmSync(socketPath, { force: true });
    const bridge: { b?: ApiBridge } = {};
    const server = createServer((client) => bridge.b?.forward(client));
    bridge.b = new ApiBridge(socketPath, server, target);
    await new Promise<void>((res, rej) => {
      server.once('error', rej);
      server.listen(socketPath, () => res());
    });
    return bridge.b;
  }

  private forward(client: Socket): void {
    const upstream = connect(this.target.port, this.target.host);
    this.sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    for (const s of [client, upstream]) {
      s.on('error', close);
      s.on('close', close);
    }
  }

  /** Start the in-namespace end: 127.0.0.1:6443 inside `ns` forwards here. */
  async attach(w: World, ns: Netns): Promise<Proc> {
    const proc = w.spawn(ns, [process.execPath, FORWARDER, '127.0.0.1', String(NODE_API_PORT), this.socketPath]);
    await waitFor(() => proc.output().stdout.includes('ready') || (proc.done() ? Promise.reject(new Error(`forwarder exited: ${proc.output().stderr}`)) : false), {
      timeoutMs: 10_000,
      what: `API forwarder in ${ns.name}`,
    });
    return proc;
  }

  /** The server URL for a kubeconfig used inside an attached namespace. */
  get nodeUrl(): string {
    return `https://127.0.0.1:${NODE_API_PORT}`;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
    rmSync(this.socketPath, { force: true });
  }
}

// Reach the test control plane from inside node namespaces, as the lab does (src/lab/forward.ts):
//   agent in node ns -> 127.0.0.1:6443 (dist/meridian-forward.mjs, one per node ns, kept by PID)
//     -> unix socket <dir>/apiserver.sock -> a forwarder in the test process
//     -> 127.0.0.1:<apiserver port> in the root namespace.
// Nothing is added to the root namespace's network: only a socket file and loopback connections.
// The serving certificate covers 127.0.0.1, so TLS verifies unchanged on the other side.

import { join, resolve } from 'node:path';
import { startForwarder, type Forwarder } from '../../src/lab/forward.js';
import { NODE_API_URL } from '../../src/lab/control-plane.js';
import type { Netns, Proc, World } from './netns.js';
import { waitFor } from './wait.js';

const FORWARDER = resolve(import.meta.dirname, '../../dist/meridian-forward.mjs');

export class ApiBridge {
  readonly socketPath: string;
  private readonly forwarder: Forwarder;

  private constructor(socketPath: string, forwarder: Forwarder) {
    this.socketPath = socketPath;
    this.forwarder = forwarder;
  }

  /** Listen on `<dir>/apiserver.sock`, forwarding to the API server URL's host and port. */
  static async start(dir: string, apiUrl: string): Promise<ApiBridge> {
    const u = new URL(apiUrl);
    const socketPath = join(dir, 'apiserver.sock');
    return new ApiBridge(socketPath, await startForwarder({ unix: socketPath }, { host: u.hostname, port: Number(u.port) }));
  }

  /** Start the in-namespace end: 127.0.0.1:6443 inside `ns` forwards here. */
  async attach(w: World, ns: Netns): Promise<Proc> {
    const port = new URL(NODE_API_URL).port;
    const proc = w.spawn(ns, [process.execPath, FORWARDER, `tcp:127.0.0.1:${port}`, `unix:${this.socketPath}`]);
    await waitFor(() => proc.output().stdout.includes('ready') || (proc.done() ? Promise.reject(new Error(`forwarder exited: ${proc.output().stderr}`)) : false), {
      timeoutMs: 10_000,
      what: `API forwarder in ${ns.name}`,
    });
    return proc;
  }

  /** The server URL for a kubeconfig used inside an attached namespace. */
  get nodeUrl(): string {
    return NODE_API_URL;
  }

  async close(): Promise<void> {
    await this.forwarder.close();
  }
}

// A byte forwarder between a TCP address and a unix socket path, either way round. The lab uses it
// to reach kube-apiserver, which listens on 127.0.0.1 in the root namespace, from node namespaces
// without changing the root namespace's network: path-based unix sockets are shared by every
// network namespace, loopback addresses are not. So:
//   agent in node ns -> 127.0.0.1:6443 (forwarder in the node ns) -> <lab>/apiserver.sock
//     -> forwarder in the root ns -> 127.0.0.1:<apiserver port>
// Bytes only: TLS runs end to end, and the serving certificate covers 127.0.0.1 on both sides.
// Imports node:net alone, so the bundled forwarder (dist/meridian-forward.mjs) starts in tens of ms.

import { rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';

export type Endpoint = { readonly unix: string } | { readonly host: string; readonly port: number };

/** `unix:PATH` or `tcp:HOST:PORT`. */
export function parseEndpoint(text: string): Endpoint {
  if (text.startsWith('unix:') && text.length > 5) return { unix: text.slice(5) };
  const m = /^tcp:(.+):(\d+)$/.exec(text);
  const port = Number(m?.[2]);
  if (m?.[1] !== undefined && port > 0 && port < 65536) return { host: m[1], port };
  throw new Error(`${JSON.stringify(text)}: expected unix:PATH or tcp:HOST:PORT`);
}

export function formatEndpoint(e: Endpoint): string {
  return 'unix' in e ? `unix:${e.unix}` : `tcp:${e.host}:${e.port}`;
}

export interface Forwarder {
  readonly server: Server;
  /** Stop listening and cut every open connection. */
  close(): Promise<void>;
}

/** Listen on `from`; every connection is piped to a new connection to `to`. */
export async function startForwarder(from: Endpoint, to: Endpoint): Promise<Forwarder> {
  const open = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = 'unix' in to ? connect(to.unix) : connect(to.port, to.host);
    open.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    for (const s of [client, upstream]) {
      s.on('error', end);
      s.on('close', end);
    }
  });
  // A socket file left by an earlier run would make listen fail with EADDRINUSE.
  if ('unix' in from) rmSync(from.unix, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if ('unix' in from) server.listen(from.unix, resolve);
    else server.listen(from.port, from.host, resolve);
  });
  return {
    server,
    close: async () => {
      for (const s of open) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      if ('unix' in from) rmSync(from.unix, { force: true });
    },
  };
}

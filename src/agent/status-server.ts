// The local status API: HTTP on a unix socket (statusSocket), read by `meridian status`. A path
// socket rather than TCP so only local root can read it, and so it is reachable from the host
// even when the agent runs inside a network namespace (path sockets are not per-namespace).

import { mkdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { dirname } from 'node:path';

/** Extra read-only views by path (e.g. "/rib"), each given the query string. */
export type StatusViews = Readonly<Record<string, (query: URLSearchParams) => unknown>>;

export async function startStatusServer(path: string, status: () => unknown, views: StatusViews = {}): Promise<Server> {
  await mkdir(dirname(path), { recursive: true });
  // A socket file left by a previous run would make listen() fail with EADDRINUSE.
  await rm(path, { force: true });
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://status');
    const view = url.pathname === '/status' || url.pathname === '/' ? status : views[url.pathname];
    if (req.method === 'GET' && view !== undefined) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(view(url.searchParams)));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  return server;
}

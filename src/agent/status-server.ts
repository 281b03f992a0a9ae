// The local status API: HTTP on a unix socket (statusSocket), read by `meridian status`. A path
// socket rather than TCP so only local root can read it, and so it is reachable from the host
// even when the agent runs inside a network namespace (path sockets are not per-namespace).

import { mkdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { dirname } from 'node:path';

/** `status` answers GET /status (and /); `rib`, when given, answers GET /rib (the Loc-RIB with attributes). */
export async function startStatusServer(path: string, status: () => unknown, rib?: () => unknown): Promise<Server> {
  await mkdir(dirname(path), { recursive: true });
  // A socket file left by a previous run would make listen() fail with EADDRINUSE.
  await rm(path, { force: true });
  const server = createServer((req, res) => {
    if (req.method === 'GET' && (req.url === '/status' || req.url === '/')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(status()));
      return;
    }
    // Separate from /status: with 100k routes the RIB is tens of MB, too much for every status call.
    if (req.method === 'GET' && req.url === '/rib' && rib !== undefined) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(rib()));
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

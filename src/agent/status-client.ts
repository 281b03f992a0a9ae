// The client side of the agent's status socket (status-server.ts): `meridian status` and the lab.

import { request } from 'node:http';

/** GET /status (or another view) from the agent's unix socket; the parsed JSON. */
export async function fetchStatus(socketPath: string, path = '/status'): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method: 'GET', timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        try {
          resolve(JSON.parse(body));
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer on ${socketPath}`)));
    req.on('error', (e) => reject(new Error(`cannot reach the agent on ${socketPath}: ${e.message}`)));
    req.end();
  });
}

// A scripted API server for datastore tests: HTTPS on loopback (client-node's watch insists on
// TLS) with a throw-away self-signed certificate, answering each list and watch request of one
// collection with the next scripted reply, and recording every request's query.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

export type Reply =
  | { readonly status: number; readonly body?: unknown }
  /** A watch: these event lines, then end the response (or keep it open). */
  | { readonly events: readonly unknown[]; readonly keepOpen?: boolean };

export interface Seen {
  readonly watch: boolean;
  readonly query: Readonly<Record<string, string>>;
}

export class FakeApiServer {
  readonly seen: Seen[] = [];
  private readonly lists: Reply[] = [];
  private readonly watches: Reply[] = [];
  private readonly open = new Set<ServerResponse>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly ca: string,
    private readonly dir: string,
  ) {}

  static async start(path: string): Promise<FakeApiServer> {
    const dir = mkdtempSync(join(tmpdir(), 'mrd-fake-api-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    const holder: { s?: FakeApiServer } = {};
    const server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert }, (req, res) => {
      const u = new URL(req.url ?? '/', 'https://x');
      const s = holder.s as FakeApiServer;
      if (u.pathname !== path) {
        res.writeHead(404).end();
        return;
      }
      const watch = u.searchParams.get('watch') === 'true';
      s.seen.push({ watch, query: Object.fromEntries(u.searchParams) });
      const reply = (watch ? s.watches : s.lists).shift() ?? (watch ? { events: [], keepOpen: true } : { status: 500, body: { message: 'no reply scripted' } });
      if ('status' in reply) {
        res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(reply.body ?? { kind: 'Status', message: `status ${reply.status}` }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      for (const e of reply.events) res.write(JSON.stringify(e) + '\n');
      if (reply.keepOpen === true) s.open.add(res);
      else res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const addr = server.address();
    const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
    holder.s = new FakeApiServer(server, `https://127.0.0.1:${port}`, cert, dir);
    return holder.s;
  }

  list(reply: Reply): this {
    this.lists.push(reply);
    return this;
  }

  watch(reply: Reply): this {
    this.watches.push(reply);
    return this;
  }

  kubeconfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromString(
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'fake', cluster: { server: this.url, 'certificate-authority-data': Buffer.from(this.ca).toString('base64') } }],
        users: [{ name: 'fake', user: { token: 't' } }],
        contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'fake' } }],
        'current-context': 'fake',
      }),
    );
    return kc;
  }

  async close(): Promise<void> {
    for (const r of this.open) r.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

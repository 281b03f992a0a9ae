// A real Kubernetes control plane for e2e tests: etcd and kube-apiserver on loopback, as
// controller-runtime's envtest starts them. The binaries are built from Go modules by
// test/servers/build.sh (cached outside the repository; .ci/run builds them when missing).
//
// Identity: an admin bearer token in system:masters (static token file) for the test itself, and
// real ServiceAccount tokens from the TokenRequest API for the agents, so RBAC applies to them as
// in a cluster. The serving certificate is the one kube-apiserver generates in --cert-dir for
// 127.0.0.1; clients trust it as their CA.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerCleanup, spawnTracked, stopProc, unregisterCleanup, type Proc } from './procs.js';
import { waitFor } from './wait.js';

export const K8S_VERSION = process.env['K8S_VERSION'] ?? 'v1.34.4';

export function testServersDir(): string {
  const root = process.env['MERIDIAN_TEST_SERVERS'] ?? '/var/cache/meridian/test-servers';
  return join(root, `k8s-${K8S_VERSION}`, 'bin');
}

/** The built binaries, or a clear error saying how to build them. */
export function testServerBinaries(): { etcd: string; apiserver: string } {
  const dir = testServersDir();
  const etcd = join(dir, 'etcd');
  const apiserver = join(dir, 'kube-apiserver');
  if (!existsSync(etcd) || !existsSync(apiserver)) {
    throw new Error(`test servers missing in ${dir}: run test/servers/build.sh (.ci/run does)`);
  }
  return { etcd, apiserver };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface ApiResponse {
  readonly status: number;
  readonly body: string;
}

export class ControlPlane {
  readonly dir: string;
  readonly url: string;
  readonly adminToken: string;
  private readonly procs: Proc[];
  private caPem = '';
  private apiArgv: string[] = [];
  private api: Proc | undefined;
  private stopped = false;

  private constructor(dir: string, url: string, adminToken: string, procs: Proc[]) {
    this.dir = dir;
    this.url = url;
    this.adminToken = adminToken;
    this.procs = procs;
    registerCleanup(this);
  }

  /** Start etcd and kube-apiserver; resolves once /readyz answers ok to the admin. */
  static async start(opts: { readyTimeoutMs?: number } = {}): Promise<ControlPlane> {
    const bins = testServerBinaries();
    const dir = mkdtempSync(join(tmpdir(), 'meridian-cp-'));
    const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
    const adminToken = randomBytes(24).toString('hex');
    writeFileSync(join(dir, 'tokens.csv'), `${adminToken},meridian-test-admin,admin-uid,"system:masters"\n`, { mode: 0o600 });
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(join(dir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    writeFileSync(join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));

    const url = `https://127.0.0.1:${apiPort}`;
    const procs: Proc[] = [];
    const cp = new ControlPlane(dir, url, adminToken, procs);
    try {
      const etcd = spawnTracked([
        bins.etcd,
        '--data-dir', join(dir, 'etcd'),
        '--listen-client-urls', `http://127.0.0.1:${etcdClient}`,
        '--advertise-client-urls', `http://127.0.0.1:${etcdClient}`,
        '--listen-peer-urls', `http://127.0.0.1:${etcdPeer}`,
        // Test data: durability across a power cut is not wanted, speed is.
        '--unsafe-no-fsync',
      ]);
      procs.push(etcd);
      await waitFor(async () => (await httpGet(`http://127.0.0.1:${etcdClient}/health`)).includes('"health":"true"'), {
        timeoutMs: 30_000,
        what: `etcd on port ${etcdClient} to be healthy`,
      }).catch((e: unknown) => {
        throw new Error(`${(e as Error).message}\netcd output:\n${etcd.output().stderr.slice(-2000)}`);
      });

      cp.apiArgv = [
        bins.apiserver,
        '--etcd-servers', `http://127.0.0.1:${etcdClient}`,
        '--cert-dir', join(dir, 'certs'),
        '--secure-port', String(apiPort),
        '--bind-address', '127.0.0.1',
        // Without it the apiserver looks for a default route to pick an address, and a test
        // machine may have none.
        '--advertise-address', '127.0.0.1',
        '--service-cluster-ip-range', '10.96.0.0/16',
        '--allow-privileged=true',
        '--authorization-mode', 'RBAC',
        '--token-auth-file', join(dir, 'tokens.csv'),
        '--service-account-issuer', url,
        '--service-account-key-file', join(dir, 'sa.pub'),
        '--service-account-signing-key-file', join(dir, 'sa.key'),
        // No kube-controller-manager runs: the ServiceAccount admission plugin would refuse pods
        // whose namespace has no default ServiceAccount yet.
        '--disable-admission-plugins', 'ServiceAccount',
      ];
      await cp.startApiServer(opts.readyTimeoutMs);
      return cp;
    } catch (e) {
      await cp.stop();
      throw e;
    }
  }

  /**
   * Start kube-apiserver (again) on the same port, certificates and etcd: after stopApiServer()
   * clients find the same server, with the same objects and resourceVersions, as after a restart.
   */
  async startApiServer(readyTimeoutMs?: number): Promise<void> {
    if (this.api !== undefined && !this.api.done()) throw new Error('kube-apiserver is already running');
    const api = spawnTracked(this.apiArgv);
    this.api = api;
    this.procs.push(api);
    const certFile = join(this.dir, 'certs', 'apiserver.crt');
    await waitFor(
      async () => {
        if (api.done()) throw new Error(`kube-apiserver exited:\n${api.output().stderr.slice(-3000)}`);
        if (!existsSync(certFile)) return false;
        this.caPem = readFileSync(certFile, 'utf8');
        const r = await this.request('GET', '/readyz');
        return r.status === 200 && r.body.trim() === 'ok';
      },
      // Contended CI machines need well over envtest's 20 s (kubernetes#137743 saw 35 s).
      { timeoutMs: readyTimeoutMs ?? 120_000, intervalMs: 250, what: 'kube-apiserver /readyz' },
    );
  }

  /** Stop kube-apiserver only (etcd and the data stay), by PID. */
  async stopApiServer(): Promise<void> {
    const api = this.api;
    if (api === undefined) return;
    await stopProc(api, 10_000);
    this.procs.splice(this.procs.indexOf(api), 1);
    this.api = undefined;
  }

  get ca(): string {
    return this.caPem;
  }

  /** One HTTPS request to the API server, as `token` (default: the admin). */
  async request(method: string, path: string, opts: { body?: unknown; token?: string; contentType?: string } = {}): Promise<ApiResponse> {
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    return new Promise((resolve, reject) => {
      const req = request(
        `${this.url}${path}`,
        {
          method,
          ca: this.caPem,
          headers: {
            authorization: `Bearer ${opts.token ?? this.adminToken}`,
            accept: 'application/json',
            ...(body !== undefined ? { 'content-type': opts.contentType ?? 'application/json' } : {}),
          },
          timeout: 10_000,
        },
        (res) => {
          let data = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (data += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Create (or keep) a ServiceAccount and return a fresh token for it (TokenRequest API). */
  async serviceAccountToken(namespace: string, name: string): Promise<string> {
    const sa = await this.request('POST', `/api/v1/namespaces/${namespace}/serviceaccounts`, {
      body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } },
    });
    if (sa.status !== 201 && sa.status !== 409) throw new Error(`creating ServiceAccount ${namespace}/${name}: ${sa.status} ${sa.body}`);
    const tr = await this.request('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`, {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
    });
    if (tr.status !== 201) throw new Error(`TokenRequest for ${namespace}/${name}: ${tr.status} ${tr.body}`);
    return (JSON.parse(tr.body) as { status: { token: string } }).status.token;
  }

  /** A kubeconfig file for `token` (default: the admin), for clients such as the agent. */
  writeKubeconfig(file: string, opts: { token?: string; server?: string } = {}): string {
    const ca = Buffer.from(this.caPem).toString('base64');
    const cfg = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'test', cluster: { server: opts.server ?? this.url, 'certificate-authority-data': ca } }],
      users: [{ name: 'test', user: { token: opts.token ?? this.adminToken } }],
      contexts: [{ name: 'test', context: { cluster: 'test', user: 'test' } }],
      'current-context': 'test',
    };
    writeFileSync(file, JSON.stringify(cfg, null, 2), { mode: 0o600 });
    return file;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    // The apiserver first, so it does not spend its shutdown retrying a dead etcd.
    for (const p of [...this.procs].reverse()) await stopProc(p, 10_000).catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
    unregisterCleanup(this);
  }

  cleanupSync(): void {
    for (const p of this.procs) p.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function httpGet(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  return res.text();
}

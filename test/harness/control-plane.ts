// A real Kubernetes control plane for e2e tests: etcd and kube-apiserver on loopback, as
// controller-runtime's envtest starts them. The binaries are built from Go modules by
// test/servers/build.sh (cached outside the repository; .ci/run builds them when missing).
//
// Identity: an admin bearer token in system:masters (static token file) for the test itself, and
// real ServiceAccount tokens from the TokenRequest API for the agents, so RBAC applies to them as
// in a cluster. The serving certificate is the one kube-apiserver generates in --cert-dir for
// 127.0.0.1; clients trust it as their CA.

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiServerReady, serviceAccountToken, writeKubeconfig } from '../../src/k8s/kubeconfig.js';
import { apiServerArgv, etcdArgv, etcdHealthy, freePorts, k8sBinaries, servingCertFile, writeCredentials } from '../../src/lab/control-plane.js';
import { registerCleanup, spawnTracked, stopProc, unregisterCleanup, type Proc } from './procs.js';
import { waitFor } from './wait.js';

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
    const bins = k8sBinaries();
    const dir = mkdtempSync(join(tmpdir(), 'meridian-cp-'));
    const ports = await freePorts();
    const { adminToken } = writeCredentials(dir);
    const url = `https://127.0.0.1:${ports.api}`;
    const procs: Proc[] = [];
    const cp = new ControlPlane(dir, url, adminToken, procs);
    try {
      const etcd = spawnTracked(etcdArgv(bins.etcd, dir, ports));
      procs.push(etcd);
      await waitFor(() => etcdHealthy(ports.etcdClient).catch(() => false), { timeoutMs: 30_000, what: `etcd on port ${ports.etcdClient} to be healthy` }).catch((e: unknown) => {
        throw new Error(`${(e as Error).message}\netcd output:\n${etcd.output().stderr.slice(-2000)}`);
      });
      cp.apiArgv = apiServerArgv(bins.apiserver, dir, ports);
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
    const certFile = servingCertFile(this.dir);
    await waitFor(
      async () => {
        if (api.done()) throw new Error(`kube-apiserver exited:\n${api.output().stderr.slice(-3000)}`);
        if (!existsSync(certFile)) return false;
        this.caPem = readFileSync(certFile, 'utf8');
        this.writeKubeconfig(this.adminKubeconfig);
        return apiServerReady(this.adminKubeconfig);
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

  /** The admin's kubeconfig, written once the API server serves. */
  get adminKubeconfig(): string {
    return join(this.dir, 'admin.kubeconfig');
  }

  /** Create (or keep) a ServiceAccount and return a fresh token for it (TokenRequest API). */
  async serviceAccountToken(namespace: string, name: string): Promise<string> {
    return serviceAccountToken(this.adminKubeconfig, namespace, name);
  }

  /** A kubeconfig file for `token` (default: the admin), for clients such as the agent. */
  writeKubeconfig(file: string, opts: { token?: string; server?: string } = {}): string {
    return writeKubeconfig(file, { server: opts.server ?? this.url, caPem: this.caPem, token: opts.token ?? this.adminToken });
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

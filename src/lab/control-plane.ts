// The lab's Kubernetes control plane (`meridian lab up --apiserver`): etcd and kube-apiserver on
// loopback, started detached (src/net/daemon.ts) so they outlive the `lab up` command; a later
// `lab` command finds them in the lab state file (a LabControlPlane is plain JSON) and stops them
// by PID. The binaries are the ones test/servers/build.sh builds from Go modules.
//
// Identity: an admin bearer token in system:masters (static token file) for the host-side
// kubeconfig, and TokenRequest tokens of the DaemonSet's ServiceAccount (deploy/rbac.yaml) for the
// agents, so RBAC applies to them as in a cluster. The serving certificate is the one
// kube-apiserver generates in --cert-dir for 127.0.0.1; clients trust it as their CA.
//
// Reaching it from node namespaces without touching the root namespace's network: a forwarder in
// the root namespace serves <dir>/apiserver.sock, and one in each node namespace serves that
// namespace's 127.0.0.1:6443 (forward.ts). Both are dist/meridian-forward.mjs: Node is already
// there (socat may not be), and the bundle imports node:net alone, so it starts in tens of ms.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { applyObjects } from '../k8s/apply.js';
import { apiServerReady, readKubeconfig, serviceAccountToken, writeKubeconfig } from '../k8s/kubeconfig.js';
import { pollUntil } from '../k8s/poll.js';
import { daemonAlive, startDaemon, stopDaemon, type DaemonRef } from '../net/daemon.js';

export interface LabControlPlane {
  /** kube-apiserver's URL on the host's loopback. */
  readonly url: string;
  readonly dir: string;
  /** etcd, kube-apiserver, the socket bridge: started in this order, stopped in reverse. */
  readonly daemons: readonly DaemonRef[];
  /** Admin (system:masters) kubeconfig, usable from the host. */
  readonly adminKubeconfig: string;
  /** Unix socket forwarded to the API server: how node namespaces reach it. */
  readonly apiSocket: string;
}

/** Where an agent in a node namespace finds the API server (startNodeApiForwarder). */
export const NODE_API_URL = 'https://127.0.0.1:6443';
const NODE_API_PORT = 6443;
/** The DaemonSet's ServiceAccount (deploy/rbac.yaml). */
export const AGENT_SERVICE_ACCOUNT = { namespace: 'kube-system', name: 'meridian' } as const;
const NODE_TOKEN_SECONDS = 365 * 24 * 3600;

export const K8S_VERSION = process.env['K8S_VERSION'] ?? 'v1.34.4';

/** MERIDIAN_K8S_BIN, or test/servers/build.sh's cache (MERIDIAN_TEST_SERVERS moves its root). */
export function k8sBinDir(): string {
  const explicit = process.env['MERIDIAN_K8S_BIN'];
  if (explicit !== undefined && explicit !== '') return explicit;
  const root = process.env['MERIDIAN_TEST_SERVERS'] ?? '/var/cache/meridian/test-servers';
  return join(root, `k8s-${K8S_VERSION}`, 'bin');
}

/** The etcd and kube-apiserver binaries, or an error saying how to get them. */
export function k8sBinaries(): { etcd: string; apiserver: string } {
  const dir = k8sBinDir();
  const etcd = join(dir, 'etcd');
  const apiserver = join(dir, 'kube-apiserver');
  const missing = [etcd, apiserver].filter((f) => !existsSync(f));
  if (missing.length > 0) {
    throw new Error(
      `${missing.join(' and ')} not found: build them with \`bash test/servers/build.sh\` as root (it fetches a Go toolchain when the machine has none new enough; about 7 minutes the first time), ` +
        'or set MERIDIAN_K8S_BIN to a directory holding etcd and kube-apiserver',
    );
  }
  return { etcd, apiserver };
}

/**
 * A file of the Meridian installation: next to the bundle's directory (dist/meridian.js ->
 * <root>/REL) or two levels up from this source file (src/lab/ -> <root>/REL, under a TS loader).
 */
export function installedFile(rel: string): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, '..', rel), join(here, '..', '..', rel)];
  const found = candidates.find((c) => existsSync(c));
  if (found === undefined) throw new Error(`${rel} not found (looked in ${candidates.join(', ')}); run node scripts/build.mjs`);
  return found;
}

export async function freePort(): Promise<number> {
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

/** The static admin token and the ServiceAccount signing key pair, in `dir`. */
export function writeCredentials(dir: string): { adminToken: string } {
  const adminToken = randomBytes(24).toString('hex');
  writeFileSync(join(dir, 'tokens.csv'), `${adminToken},meridian-admin,admin-uid,"system:masters"\n`, { mode: 0o600 });
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(join(dir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
  return { adminToken };
}

export interface ControlPlanePorts {
  readonly etcdClient: number;
  readonly etcdPeer: number;
  readonly api: number;
}

export async function freePorts(): Promise<ControlPlanePorts> {
  return { etcdClient: await freePort(), etcdPeer: await freePort(), api: await freePort() };
}

export function etcdArgv(bin: string, dir: string, p: ControlPlanePorts): string[] {
  return [
    bin,
    '--data-dir', join(dir, 'etcd'),
    '--listen-client-urls', `http://127.0.0.1:${p.etcdClient}`,
    '--advertise-client-urls', `http://127.0.0.1:${p.etcdClient}`,
    '--listen-peer-urls', `http://127.0.0.1:${p.etcdPeer}`,
    // A lab or test cluster: durability across a power cut is not wanted, speed is.
    '--unsafe-no-fsync',
  ];
}

/** kube-apiserver over etcdArgv's etcd, with the credentials writeCredentials put in `dir`. */
export function apiServerArgv(bin: string, dir: string, p: ControlPlanePorts): string[] {
  return [
    bin,
    '--etcd-servers', `http://127.0.0.1:${p.etcdClient}`,
    '--cert-dir', join(dir, 'certs'),
    '--secure-port', String(p.api),
    '--bind-address', '127.0.0.1',
    // Without it the apiserver looks for a default route to pick an address, and a machine may
    // have none.
    '--advertise-address', '127.0.0.1',
    '--service-cluster-ip-range', '10.96.0.0/16',
    '--allow-privileged=true',
    '--authorization-mode', 'RBAC',
    '--token-auth-file', join(dir, 'tokens.csv'),
    '--service-account-issuer', `https://127.0.0.1:${p.api}`,
    '--service-account-key-file', join(dir, 'sa.pub'),
    '--service-account-signing-key-file', join(dir, 'sa.key'),
    // No kube-controller-manager runs: the ServiceAccount admission plugin would refuse pods
    // whose namespace has no default ServiceAccount yet.
    '--disable-admission-plugins', 'ServiceAccount',
  ];
}

/** The self-signed serving certificate kube-apiserver writes into --cert-dir at start. */
export function servingCertFile(dir: string): string {
  return join(dir, 'certs', 'apiserver.crt');
}

export async function etcdHealthy(clientPort: number): Promise<boolean> {
  const res = await fetch(`http://127.0.0.1:${clientPort}/health`, { signal: AbortSignal.timeout(2000) });
  return (await res.text()).includes('"health":"true"');
}

function logTail(log: string, bytes = 3000): string {
  try {
    return readFileSync(log, 'utf8').slice(-bytes);
  } catch {
    return '';
  }
}

/** Wait for `check`, failing early (with the log's tail) if the daemon exits. */
async function waitDaemon(d: DaemonRef, log: string, what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  let died = false;
  await pollUntil(
    async () => {
      if (!daemonAlive(d)) {
        died = true;
        return true;
      }
      return check();
    },
    { timeoutMs, intervalMs: 100, what },
  ).catch((e: unknown) => {
    throw new Error(`${(e as Error).message}\n--- ${log} ---\n${logTail(log)}`);
  });
  if (died) throw new Error(`${what}: the process exited\n--- ${log} ---\n${logTail(log)}`);
}

function startForwarder(listen: string, connect: string, opts: { log: string; netns?: string }): DaemonRef {
  return startDaemon([process.execPath, installedFile('dist/meridian-forward.mjs'), listen, connect], { log: opts.log, ...(opts.netns !== undefined ? { netns: opts.netns } : {}) });
}

/** Resolves once the forwarder says it listens (its "ready pid=PID" line in its log). */
export async function waitForwarder(d: DaemonRef, log: string, timeoutMs = 10_000): Promise<void> {
  const line = `ready pid=${d.pid} `;
  await waitDaemon(d, log, `the forwarder (pid ${d.pid}) to listen`, () => Promise.resolve(readFileSync(log, 'utf8').includes(line)), timeoutMs);
}

/** Read deploy/'s manifests the control plane installs: the CRDs and the agent's RBAC. */
function deployDocs(): unknown[] {
  return ['crd-bgppeers.yaml', 'crd-bgpconfigurations.yaml', 'rbac.yaml'].flatMap((f) =>
    parseAllDocuments(readFileSync(installedFile(join('deploy', f)), 'utf8')).map((d) => d.toJS() as unknown),
  );
}

/**
 * Start etcd, kube-apiserver and the socket bridge, detached, in `dir` (created if needed; logs,
 * certificates, credentials and etcd data go there); wait until the API server is ready; install
 * deploy/'s CRDs and RBAC. On failure everything started is stopped again. `onStarted` hears of each
 * process as soon as it runs (the lab records it, so a killed `lab up` still has it stopped).
 */
export async function startLabControlPlane(dir: string, onStarted: (d: DaemonRef) => void = () => undefined): Promise<LabControlPlane> {
  const bins = k8sBinaries();
  mkdirSync(dir, { recursive: true });
  const { adminToken } = writeCredentials(dir);
  const ports = await freePorts();
  const url = `https://127.0.0.1:${ports.api}`;
  const daemons: DaemonRef[] = [];
  const cp: LabControlPlane = { url, dir, daemons, adminKubeconfig: join(dir, 'admin.kubeconfig'), apiSocket: join(dir, 'apiserver.sock') };
  try {
    const etcdLog = join(dir, 'etcd.log');
    const etcd = startDaemon(etcdArgv(bins.etcd, dir, ports), { log: etcdLog });
    daemons.push(etcd);
    onStarted(etcd);
    await waitDaemon(etcd, etcdLog, `etcd on port ${ports.etcdClient} to be healthy`, () => etcdHealthy(ports.etcdClient), 30_000);

    const apiLog = join(dir, 'kube-apiserver.log');
    const api = startDaemon(apiServerArgv(bins.apiserver, dir, ports), { log: apiLog });
    daemons.push(api);
    onStarted(api);
    await waitDaemon(
      api,
      apiLog,
      'kube-apiserver /readyz',
      async () => {
        if (!existsSync(servingCertFile(dir))) return false;
        writeKubeconfig(cp.adminKubeconfig, { server: url, caPem: readFileSync(servingCertFile(dir), 'utf8'), token: adminToken });
        return apiServerReady(cp.adminKubeconfig);
      },
      // Busy machines need well over envtest's 20 s (kubernetes#137743 saw 35 s).
      120_000,
    );

    const installed = await applyObjects(cp.adminKubeconfig, deployDocs());
    if (installed.problems.length > 0) throw new Error(`installing deploy/ CRDs and RBAC: ${installed.problems.map((p) => `${p.source}: ${p.reason}`).join('; ')}`);

    const bridgeLog = join(dir, 'api-bridge.log');
    const bridge = startForwarder(`unix:${cp.apiSocket}`, `tcp:127.0.0.1:${ports.api}`, { log: bridgeLog });
    daemons.push(bridge);
    onStarted(bridge);
    await waitForwarder(bridge, bridgeLog);
    return cp;
  } catch (e) {
    await stopLabControlPlane(cp);
    throw e;
  }
}

/**
 * A kubeconfig for the agent in a node namespace, written to `<dir>/<nodeName>.kubeconfig`: a
 * TokenRequest token of the DaemonSet's ServiceAccount (valid a year) and NODE_API_URL, which
 * startNodeApiForwarder serves in that namespace.
 */
export async function nodeKubeconfig(cp: LabControlPlane, nodeName: string, dir: string): Promise<string> {
  const token = await serviceAccountToken(cp.adminKubeconfig, AGENT_SERVICE_ACCOUNT.namespace, AGENT_SERVICE_ACCOUNT.name, NODE_TOKEN_SECONDS);
  const { caPem } = readKubeconfig(cp.adminKubeconfig);
  mkdirSync(dir, { recursive: true });
  return writeKubeconfig(join(dir, `${nodeName}.kubeconfig`), { server: NODE_API_URL, caPem, token });
}

/**
 * Serve 127.0.0.1:6443 inside `netns` (whose loopback must be up), forwarded to the API server
 * through cp.apiSocket; detached. waitForwarder(ref, log) resolves once it listens; an agent
 * started before that simply retries.
 */
export function startNodeApiForwarder(cp: LabControlPlane, netns: string, log: string): DaemonRef {
  return startForwarder(`tcp:127.0.0.1:${NODE_API_PORT}`, `unix:${cp.apiSocket}`, { log, netns });
}

/** Stop the bridge, kube-apiserver and etcd by PID and remove etcd's data. Idempotent. */
export async function stopLabControlPlane(cp: LabControlPlane): Promise<void> {
  // The bridge and the apiserver first, so it does not spend its shutdown retrying a dead etcd.
  for (const d of [...cp.daemons].reverse()) await stopDaemon(d, 10_000);
  rmSync(join(cp.dir, 'etcd'), { recursive: true, force: true });
  rmSync(cp.apiSocket, { force: true });
}

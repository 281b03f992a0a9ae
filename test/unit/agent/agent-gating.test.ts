// The agent as a whole, against a fake kernel (FakeRunner) and a scripted datastore: not one
// command runs before every watched kind has synced, then routing and policy are applied from the
// same view, the CNI node file is written, readiness follows; stop() leaves kernel state alone.

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Agent } from '../../../src/agent/agent.js';
import { parseConfig } from '../../../src/agent/config.js';
import { createMetrics, type AgentMetrics } from '../../../src/agent/metrics.js';
import type { Datastore, DatastoreEvent } from '../../../src/k8s/datastore.js';
import { WATCHED_KINDS } from '../../../src/k8s/kinds.js';
import type { KubeObject } from '../../../src/k8s/objects.js';
import { createLogger } from '../../../src/logging/logger.js';
import { fakeRunner, type FakeHandler } from '../../../src/net/fake-runner.js';
import { waitFor } from '../../harness/wait.js';

class ScriptedDatastore implements Datastore {
  readonly type = 'kubernetes' as const;
  emit: (e: DatastoreEvent) => void = () => undefined;
  stopped = false;
  start(onEvent: (e: DatastoreEvent) => void): void {
    this.emit = onEvent;
  }
  status() {
    return { type: this.type, kinds: {} };
  }
  async stop(): Promise<void> {
    this.stopped = true;
  }
}

async function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => res(typeof a === 'object' && a !== null ? a.port : 0));
    });
  });
}

const objects: KubeObject[] = [
  { kind: 'Node', name: 'n1', labels: {}, annotations: {}, podCIDRs: ['10.244.1.0/24'], addresses: [{ type: 'InternalIP', address: '127.0.0.1' }] },
  { kind: 'Namespace', name: 'x', labels: { 'kubernetes.io/metadata.name': 'x' } },
  { kind: 'Pod', namespace: 'x', name: 'a', labels: { pod: 'a' }, nodeName: 'n1', hostNetwork: false, podIPs: ['10.244.1.5'], ports: [], phase: 'Running' },
  { kind: 'NetworkPolicy', namespace: 'x', name: 'deny', podSelector: { matchLabels: {}, matchExpressions: [] }, policyTypes: ['Ingress'], ingress: [], egress: [] },
];


const emptyJson: FakeHandler = (cmd) => (cmd.argv.includes('-json') ? { stdout: '[]' } : undefined);

/** An agent on node `nodeName` (default n1) fed `objects`, every kind synced; stopped and cleaned up after `body`. */
async function withAgent(
  o: { nodeName?: string; port?: number; handler?: FakeHandler; retryMinMs?: number },
  body: (h: { agent: Agent; ds: ScriptedDatastore; metrics: AgentMetrics; nodeFile: string }) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mrd-agent-unit-'));
  const nodeFile = join(dir, 'node.json');
  const cfg = parseConfig(`nodeName: ${o.nodeName ?? 'n1'}\nbgp: {listenAddress: 127.0.0.1, listenPort: ${o.port ?? (await freePort())}}\ncni: {nodeFile: ${nodeFile}}\nnatOutgoing: {enabled: false}\n`, { source: 't', env: {}, hostname: 'h' });
  const fake = fakeRunner(o.handler ?? emptyJson);
  const ds = new ScriptedDatastore();
  const metrics = createMetrics({});
  const agent = new Agent({ cfg, datastore: ds, run: fake.run, log: createLogger({ level: 'silent' }), metrics, debounceMs: 1, maxDelayMs: 5, ...(o.retryMinMs !== undefined ? { retryMinMs: o.retryMinMs } : {}) });
  try {
    agent.start();
    for (const obj of objects) ds.emit({ type: 'upsert', object: obj });
    for (const k of WATCHED_KINDS) ds.emit({ type: 'synced', kind: k });
    await body({ agent, ds, metrics, nodeFile });
  } finally {
    await agent.stop({ graceful: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Something else holding `port` on 127.0.0.1 until released. */
async function withSquatter(port: number, body: (s: { release: () => Promise<void> }) => Promise<void>): Promise<void> {
  const server = createServer();
  await new Promise<void>((res) => server.listen(port, '127.0.0.1', res));
  const release = () => new Promise<void>((res) => (server.listening ? server.close(() => res()) : res()));
  try {
    await body({ release });
  } finally {
    await release();
  }
}

const listening = (port: number) =>
  new Promise<boolean>((res) => {
    const c = connect(port, '127.0.0.1', () => (c.destroy(), res(true)));
    c.on('error', () => res(false));
  });

describe('Agent', () => {
  it('writes the CNI node file only once policy is in the kernel, so no pod is wired unprotected', async () => {
    let kernelRefuses = true;
    const handler: FakeHandler = (cmd) => (cmd.argv[0] === 'iptables-restore' && kernelRefuses ? { exitCode: 1, stderr: 'iptables-restore: line 3 failed' } : emptyJson(cmd));
    await withAgent({ handler }, async ({ agent, nodeFile }) => {
      await waitFor(() => agent.status().policy.failures > 0 && agent.status().routing.started, { timeoutMs: 5000, what: 'routing up and policy failing' });
      await agent.settle();
      expect(existsSync(nodeFile)).toBe(false);
      kernelRefuses = false;
      await waitFor(() => existsSync(nodeFile), { timeoutMs: 5000, what: 'the node file once policy applied' });
      expect(agent.status().policy.syncs).toBeGreaterThan(0);
    });
  });

  it('retries a routing update that failed (a new BGP port that is busy) until it is in force', async () => {
    const [port, newPort] = [await freePort(), await freePort()];
    await withSquatter(newPort, (squatter) =>
      withAgent({ port, retryMinMs: 100 }, async ({ agent, ds }) => {
        await waitFor(() => agent.status().applied !== undefined, { timeoutMs: 5000, what: 'the first view applied' });
        const first = agent.status().applied;
        const conf = { kind: 'BGPConfiguration', name: 'default', asNumber: undefined, nodeToNodeMesh: undefined, listenPort: newPort, serviceClusterIPs: [], serviceExternalIPs: [], serviceLoadBalancerIPs: [], importAllow: [] } as const;
        ds.emit({ type: 'upsert', object: conf });
        await new Promise((r) => setTimeout(r, 400));
        expect(agent.status().applied).toEqual(first);
        await squatter.release();
        await waitFor(() => listening(newPort), { timeoutMs: 5000, what: 'BGP on the new port once it is free' });
        await waitFor(() => agent.status().applied?.version !== first?.version, { timeoutMs: 5000, what: 'the new view reported applied' });
        expect(await listening(port)).toBe(false);
      }),
    );
  });

  it('does not report a view applied while routing cannot act on it (its own Node is missing)', async () => {
    await withAgent({ nodeName: 'n9' }, async ({ agent }) => {
      await waitFor(() => agent.status().policy.syncs > 0, { timeoutMs: 5000, what: 'policy to be applied' });
      await agent.settle();
      expect(agent.status().applied).toBeUndefined();
      expect(agent.readiness()).toEqual({ ready: false, why: 'Node n9 is not in the cluster (yet): BGP not started' });
    });
  });

  it('retries a view that failed to apply (BGP port busy) without waiting for a new object, and only then reports it applied', async () => {
    const port = await freePort();
    await withSquatter(port, (squatter) =>
      withAgent({ port, retryMinMs: 100 }, async ({ agent, metrics }) => {
        await waitFor(async () => (await metrics.registry.getSingleMetricAsString('meridian_errors_total')).includes('component="agent"'), { timeoutMs: 5000, what: 'the failed start to be counted' });
        expect(agent.readiness()).toEqual({ ready: false, why: expect.stringMatching(/^BGP could not start: .*EADDRINUSE/) });
        expect(agent.status().applied).toBeUndefined();
        await squatter.release();
        await waitFor(() => agent.readiness().ready, { timeoutMs: 5000, what: 'the retry to start BGP once the port is free' });
        await waitFor(() => agent.status().applied !== undefined, { timeoutMs: 5000, what: 'the view to be reported applied' });
      }),
    );
  });

  it('makes no kernel change before every kind has synced, then applies routing and policy from one view', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mrd-agent-unit-'));
    const port = await freePort();
    const cfg = parseConfig(`nodeName: n1\nbgp: {listenAddress: 127.0.0.1, listenPort: ${port}}\ncni: {nodeFile: ${join(dir, 'node.json')}}\nnatOutgoing: {enabled: false}\n`, { source: 't', env: {}, hostname: 'h' });
    const fake = fakeRunner((cmd) => (cmd.argv.includes('-json') ? { stdout: '[]' } : undefined));
    const ds = new ScriptedDatastore();
    const agent = new Agent({ cfg, datastore: ds, run: fake.run, log: createLogger({ level: 'silent' }), metrics: createMetrics({}), debounceMs: 1, maxDelayMs: 5 });
    try {
      agent.start();
      for (const o of objects) ds.emit({ type: 'upsert', object: o });
      for (const k of WATCHED_KINDS.filter((k) => k !== 'BGPConfiguration')) ds.emit({ type: 'synced', kind: k });
      await new Promise((r) => setTimeout(r, 50));
      await agent.settle();
      expect(fake.calls).toEqual([]);
      expect(agent.readiness()).toEqual({ ready: false, why: 'waiting for the initial sync of BGPConfiguration' });

      ds.emit({ type: 'synced', kind: 'BGPConfiguration' });
      await waitFor(() => agent.readiness().ready, { timeoutMs: 5000, what: 'readiness' });
      await agent.settle();
      const argv = fake.calls.map((c) => c.argv.join(' '));
      expect(argv.some((a) => a.startsWith('sysctl'))).toBe(true);
      expect(argv.some((a) => a.startsWith('iptables-restore'))).toBe(true);
      const restore = fake.calls.find((c) => c.argv[0] === 'iptables-restore')?.input ?? '';
      expect(restore).toContain('MERIDIAN');
      expect(JSON.parse(readFileSync(join(dir, 'node.json'), 'utf8'))).toEqual({ nodeName: 'n1', podCIDRs: ['10.244.1.0/24'] });
      expect(agent.status()).toMatchObject({ node: 'n1', routing: { started: true }, policy: { enabled: true, endpoints: 1 } });

      // Graceful stop: the datastore stops; no route, ipset or iptables removal is issued.
      const before = fake.calls.length;
      await agent.stop({ graceful: true });
      expect(ds.stopped).toBe(true);
      const after = fake.calls.slice(before).map((c) => c.argv.join(' '));
      expect(after.filter((a) => / del |flush|-X|-F|destroy/.test(a))).toEqual([]);
    } finally {
      await agent.stop({ graceful: true }).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

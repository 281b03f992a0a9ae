// BGPPeer password Secrets in the agent: read when first needed, all read again when the BGPPeers
// change and on a timer, kept when a read fails, and a change re-plans routing (the peer that was
// skipped for a missing Secret appears once the Secret does).

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Agent } from '../../../src/agent/agent.js';
import { parseConfig } from '../../../src/agent/config.js';
import { createMetrics } from '../../../src/agent/metrics.js';
import type { SecretState } from '../../../src/agent/peer-passwords.js';
import { PeerSecrets } from '../../../src/agent/peer-secrets.js';
import type { Timer } from '../../../src/agent/view.js';
import type { Datastore, DatastoreEvent } from '../../../src/k8s/datastore.js';
import { WATCHED_KINDS } from '../../../src/k8s/kinds.js';
import type { KubeObject } from '../../../src/k8s/objects.js';
import type { Secret, SecretReader } from '../../../src/k8s/secrets.js';
import { createLogger } from '../../../src/logging/logger.js';
import { fakeRunner } from '../../../src/net/fake-runner.js';
import { waitFor } from '../../harness/wait.js';

/** Secrets in memory; `fail` makes reads throw; every read is recorded. */
class FakeReader implements SecretReader {
  readonly secrets = new Map<string, Record<string, string>>();
  readonly reads: string[] = [];
  fail = false;
  async read(namespace: string, name: string): Promise<Secret | undefined> {
    this.reads.push(`${namespace}/${name}`);
    if (this.fail) throw new Error('HTTP 503: unavailable');
    const d = this.secrets.get(name);
    return d === undefined ? undefined : { namespace, name, data: Object.fromEntries(Object.entries(d).map(([k, v]) => [k, Buffer.from(v)])) };
  }
}

/** Timers fired by hand. */
function manualTimers() {
  const pending: { fn: () => void; cancelled: boolean }[] = [];
  return {
    setTimer: (_ms: number, fn: () => void): Timer => {
      const t = { fn, cancelled: false };
      pending.push(t);
      return { cancel: () => void (t.cancelled = true) };
    },
    async fire(): Promise<void> {
      for (const t of pending.splice(0)) if (!t.cancelled) t.fn();
      await new Promise((r) => setTimeout(r, 0));
    },
  };
}

const text = (m: ReadonlyMap<string, SecretState>, name: string) => {
  const s = m.get(name);
  if (s === undefined) return 'absent';
  return s.found ? Object.entries(s.data).map(([k, v]) => `${k}=${v.toString()}`).join(',') : `missing: ${s.reason}`;
};

describe('PeerSecrets', () => {
  it('reads a name once, all names again on reread, and reports periodic changes', async () => {
    const reader = new FakeReader();
    reader.secrets.set('a', { k: 'one' });
    const timers = manualTimers();
    let changes = 0;
    const ps = new PeerSecrets({ reader, namespace: 'net', setTimer: timers.setTimer, onChange: () => changes++ });
    let m = await ps.resolve(['a', 'b'], { reread: false });
    expect([text(m, 'a'), text(m, 'b')]).toEqual(['k=one', 'missing: not found']);
    await ps.resolve(['a', 'b'], { reread: false });
    expect(reader.reads).toEqual(['net/a', 'net/b']);
    await ps.resolve(['a', 'b'], { reread: true });
    expect(reader.reads).toHaveLength(4);

    // Periodic re-read: nothing changed, no onChange; then b appears and a rotates.
    await timers.fire();
    expect(changes).toBe(0);
    reader.secrets.set('a', { k: 'two' });
    reader.secrets.set('b', { k: 'new' });
    await timers.fire();
    expect(changes).toBe(1);
    m = await ps.resolve(['a', 'b'], { reread: false });
    expect([text(m, 'a'), text(m, 'b')]).toEqual(['k=two', 'k=new']);
    ps.stop();
  });

  it('keeps the last good value when a read fails, and says why when there is none', async () => {
    const reader = new FakeReader();
    reader.secrets.set('a', { k: 'kept' });
    const timers = manualTimers();
    const errors: string[] = [];
    const ps = new PeerSecrets({ reader, namespace: 'net', setTimer: timers.setTimer, onChange: () => undefined, onError: (n, e) => errors.push(`${n}: ${(e as Error).message}`) });
    await ps.resolve(['a'], { reread: false });
    reader.fail = true;
    const m = await ps.resolve(['a', 'c'], { reread: true });
    expect(text(m, 'a')).toBe('k=kept');
    expect(text(m, 'c')).toBe('missing: could not be read (HTTP 503: unavailable)');
    expect(errors).toEqual(['a: HTTP 503: unavailable', 'c: HTTP 503: unavailable']);
    // A name no longer wanted is forgotten (and no longer read).
    reader.fail = false;
    await ps.resolve([], { reread: false });
    const before = reader.reads.length;
    await timers.fire();
    expect(reader.reads.length).toBe(before);
    ps.stop();
  });
});

class ScriptedDatastore implements Datastore {
  readonly type = 'kubernetes' as const;
  emit: (e: DatastoreEvent) => void = () => undefined;
  start(onEvent: (e: DatastoreEvent) => void): void {
    this.emit = onEvent;
  }
  status() {
    return { type: this.type, kinds: {} };
  }
  async stop(): Promise<void> {}
}

async function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => res(typeof a === 'object' && a !== null ? a.port : 0));
    });
  });
}

describe('Agent with BGPPeer passwords', () => {
  it('skips the peer while its Secret is missing, and peers (signed) once the Secret appears', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mrd-agent-secrets-'));
    const port = await freePort();
    const cfg = parseConfig(`nodeName: n1\nbgp: {listenAddress: 127.0.0.1, listenPort: ${port}, nodeMesh: false}\ncni: {nodeFile: ${join(dir, 'node.json')}}\nnatOutgoing: {enabled: false}\npolicy: {enabled: false}\n`, {
      source: 't',
      env: { POD_NAMESPACE: 'meridian' },
      hostname: 'h',
    });
    const fake = fakeRunner((cmd) => (cmd.argv.includes('-json') ? { stdout: '[]' } : undefined));
    const ds = new ScriptedDatastore();
    const reader = new FakeReader();
    const agent = new Agent({ cfg, datastore: ds, secrets: reader, secretRefreshMs: 20, run: fake.run, log: createLogger({ level: 'silent' }), metrics: createMetrics({}), debounceMs: 1, maxDelayMs: 5 });
    const objects: KubeObject[] = [
      { kind: 'Node', name: 'n1', labels: {}, annotations: {}, podCIDRs: ['10.244.1.0/24'], addresses: [{ type: 'InternalIP', address: '127.0.0.1' }] },
      {
        kind: 'BGPPeer',
        name: 'tor',
        // A loopback address nothing listens on: the dial is refused, which is all this test needs.
        peerIP: '127.0.77.1',
        asNumber: 65001,
        port: 1,
        node: undefined,
        nodeSelector: undefined,
        passive: false,
        routeReflectorClient: false,
        holdTime: undefined,
        gracefulRestart: undefined,
        nextHopMode: 'auto',
        passwordSecretRef: { name: 'bgp-passwords', key: 'tor' },
        importAllow: [],
        maxPrefix: undefined,
        ebgpMultihop: undefined,
        ttlSecurityHops: undefined,
      },
    ];
    try {
      agent.start();
      for (const o of objects) ds.emit({ type: 'upsert', object: o });
      for (const k of WATCHED_KINDS) ds.emit({ type: 'synced', kind: k });
      await waitFor(() => agent.status().routing.started, { timeoutMs: 5000, what: 'routing to start' });
      expect(agent.status().routing.problems).toEqual([
        'BGPPeer tor: password Secret meridian/bgp-passwords: not found; peer skipped rather than run without the authentication it asks for',
      ]);
      expect(agent.status().bgp?.peers).toEqual([]);

      reader.secrets.set('bgp-passwords', { tor: 'tor-s3cret' });
      await waitFor(() => agent.status().bgp?.peers.some((p) => p.address === '127.0.77.1' && p.md5), { timeoutMs: 5000, what: 'the peer, signed, after the refresh' });
      expect(agent.status().routing.problems).toEqual([]);
      expect(reader.reads.every((r) => r === 'meridian/bgp-passwords')).toBe(true);
      expect(JSON.stringify(agent.status())).not.toContain('tor-s3cret');
    } finally {
      await agent.stop({ graceful: true });
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// The Kubernetes datastore's list/watch paths against a scripted API server: resourceVersion
// handling, 410 Gone relist (with deletes for what vanished), bookmarks, resuming after a watch
// ends, backoff after errors, and decoding through the manifest decoders.

import { afterEach, describe, expect, it } from 'vitest';
import type { DatastoreEvent } from '../../../src/k8s/datastore.js';
import { KubernetesDatastore } from '../../../src/k8s/informers.js';
import { KINDS } from '../../../src/k8s/kinds.js';
import { waitFor } from '../../harness/wait.js';
import { FakeApiServer } from './fake-apiserver.js';

const NODE_KIND = KINDS.filter((k) => k.kind === 'Node');
const node = (name: string, rv: string, extra: Record<string, unknown> = {}) => ({ metadata: { name, resourceVersion: rv }, spec: { podCIDRs: ['10.244.1.0/24'], ...extra } });
const list = (rv: string, items: unknown[]) => ({ status: 200, body: { kind: 'NodeList', apiVersion: 'v1', metadata: { resourceVersion: rv }, items } });
const ev = (type: string, object: unknown) => ({ type, object });

let api: FakeApiServer | undefined;
let ds: KubernetesDatastore | undefined;
afterEach(async () => {
  await ds?.stop();
  await api?.close();
  ds = api = undefined;
});

function summary(events: DatastoreEvent[]): string[] {
  return events.map((e) => (e.type === 'upsert' ? `upsert ${e.object.name}` : e.type === 'delete' ? `delete ${e.key}` : e.type === 'invalid' ? `invalid ${e.key}` : e.type === 'synced' ? `synced ${e.kind}` : 'replace'));
}

describe('KubernetesDatastore', () => {
  it('lists, watches with bookmarks from the list version, and relists on 410 Gone', async () => {
    api = await FakeApiServer.start('/api/v1/nodes');
    api
      .list(list('100', [node('n1', '10'), node('n2', '11')]))
      .watch({ events: [ev('ADDED', { kind: 'Node', apiVersion: 'v1', ...node('n3', '101') }), ev('BOOKMARK', { kind: 'Node', apiVersion: 'v1', metadata: { resourceVersion: '150' } }), ev('ERROR', { kind: 'Status', code: 410, message: 'too old resource version' })] })
      .list(list('200', [node('n1', '10'), node('n3', '101')]))
      .watch({ events: [], keepOpen: true });
    const events: DatastoreEvent[] = [];
    ds = new KubernetesDatastore({ kubeconfig: api.kubeconfig(), kinds: NODE_KIND, watchTimeoutSeconds: 60 });
    ds.start((e) => events.push(e));
    await waitFor(() => (api?.seen.length ?? 0) >= 4, { timeoutMs: 5000, what: 'list, watch, relist, watch' });
    await waitFor(() => events.some((e) => e.type === 'delete'), { timeoutMs: 5000, what: 'the delete from the relist' });
    expect(summary(events)).toEqual(['upsert n1', 'upsert n2', 'synced Node', 'upsert n3', 'delete Node//n2']);
    const [l1, w1, l2, w2] = api.seen;
    expect(l1).toMatchObject({ watch: false, query: { limit: '500' } });
    expect(w1?.query).toMatchObject({ resourceVersion: '100', allowWatchBookmarks: 'true' });
    expect(Number(w1?.query['timeoutSeconds'])).toBeGreaterThanOrEqual(60);
    expect(l2?.watch).toBe(false);
    expect(w2?.query).toMatchObject({ resourceVersion: '200' });
    expect(ds.status().kinds['Node']).toMatchObject({ synced: true, connected: true, lists: 2, resourceVersion: '200' });
  });

  it('retries a failed list with backoff, resumes a closed watch from the last bookmark, and backs off after watch errors without relisting', async () => {
    api = await FakeApiServer.start('/api/v1/nodes');
    api
      .list({ status: 500, body: { kind: 'Status', message: 'etcd is sad' } })
      .list(list('5', [node('n1', '5')]))
      .watch({ events: [ev('BOOKMARK', { kind: 'Node', apiVersion: 'v1', metadata: { resourceVersion: '42' } })] })
      .watch({ status: 503 })
      .watch({ events: [ev('MODIFIED', { kind: 'Node', apiVersion: 'v1', ...node('n1', '43', { podCIDRs: ['10.244.9.0/24'] }) })], keepOpen: true });
    const events: DatastoreEvent[] = [];
    const errors: string[] = [];
    ds = new KubernetesDatastore({ kubeconfig: api.kubeconfig(), kinds: NODE_KIND, backoff: { initialMs: 20, maxMs: 100, jitter: 0 }, onError: (_k, e) => errors.push(String(e)) });
    ds.start((e) => events.push(e));
    await waitFor(() => events.filter((e) => e.type === 'upsert').length === 2, { timeoutMs: 5000, what: 'the update after the retries' });
    expect(summary(events)).toEqual(['upsert n1', 'synced Node', 'upsert n1']);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toContain('etcd is sad');
    const watches = api.seen.filter((s) => s.watch).map((s) => s.query['resourceVersion']);
    expect(watches).toEqual(['5', '42', '42']);
    expect(api.seen.filter((s) => !s.watch)).toHaveLength(2);
    expect(ds.status().kinds['Node']).toMatchObject({ errors: 2, connected: true, lists: 1 });
  });

  it('decodes with the manifest decoders: an unusable object is reported, not emitted', async () => {
    api = await FakeApiServer.start('/api/v1/nodes');
    api.list(list('7', [node('good', '1'), node('bad', '2', { podCIDRs: [5] })])).watch({ events: [], keepOpen: true });
    const events: DatastoreEvent[] = [];
    ds = new KubernetesDatastore({ kubeconfig: api.kubeconfig(), kinds: NODE_KIND });
    ds.start((e) => events.push(e));
    await waitFor(() => events.some((e) => e.type === 'synced'), { timeoutMs: 5000, what: 'sync' });
    expect(summary(events)).toEqual(['upsert good', 'invalid Node//bad', 'synced Node']);
    const bad = events.find((e) => e.type === 'invalid');
    expect(bad?.type === 'invalid' ? bad.problem : undefined).toMatchObject({ kind: 'Node', name: 'bad', source: 'api', reason: 'spec.podCIDRs[0]: must be a non-empty string' });
  });
});

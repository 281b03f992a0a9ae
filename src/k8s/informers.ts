// The Kubernetes datastore: one client-node ListWatch per watched kind (kinds.ts). ListWatch
// lists, then watches from the list's resourceVersion, keeps the resourceVersion of every event
// (bookmarks included) so a watch that ends resumes where it stopped, and relists when the server
// answers 410 Gone (the version was compacted away), emitting deletes for objects that vanished
// meanwhile. What it leaves to us, done here:
// - it stops for good after any other error: we restart it after an exponential backoff
//   (backoff.ts), which resumes the watch from the last resourceVersion, or relists;
// - it does not ask for bookmarks or a server-side timeout: BookmarkWatch does;
// - it has no notion of "synced": a kind is synced once its first list has been delivered.
// Raw API objects are decoded by the manifest decoders (decodeApiObject): an object we cannot use
// is emitted as `invalid` and skipped. While the API server is unreachable nothing is emitted, so
// the agent keeps working on its last view (fail static); on reconnect the watch catches up.

import { KubeConfig, ListWatch, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import { listAll } from './api-list.js';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import { BookmarkWatch } from './bookmark-watch.js';
import type { Datastore, DatastoreEvent, DatastoreStatus, KindStatus, ObjectProblem } from './datastore.js';
import { collectionPath, KINDS, objectKey, type KindInfo, type WatchedKind } from './kinds.js';
import { decodeApiObject } from './manifests.js';

export interface KubernetesDatastoreOptions {
  readonly kubeconfig: KubeConfig;
  readonly kinds?: readonly KindInfo[];
  readonly backoff?: BackoffOptions;
  /** Server-side watch timeout (jittered up by a quarter). */
  readonly watchTimeoutSeconds?: number;
  readonly listTimeoutMs?: number;
  /** A list or watch failed (logged by the agent, counted in metrics). */
  readonly onError?: (kind: WatchedKind, err: unknown) => void;
  readonly now?: () => number;
}

/** Load a kubeconfig file, or the in-cluster ServiceAccount config when no file is given. */
export function loadKubeConfig(file: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (file !== undefined) kc.loadFromFile(file);
  else kc.loadFromCluster();
  return kc;
}

/**
 * One object of a watched kind as the API server sent it (list item or watch event), decoded into
 * the event the datastore emits: the upsert of the decoded object, the problem that makes it
 * unusable, or nothing (an object nothing reads). Whoever wants the agent's view of a cluster
 * (`meridian lab`, computing the digest the agents will report) decodes with this.
 */
export function decodeWatched(info: KindInfo, o: unknown): Extract<DatastoreEvent, { type: 'upsert' | 'invalid' }> | undefined {
  const m = typeof o === 'object' && o !== null ? metaOf(o as KubernetesObject) : {};
  const r = decodeApiObject(o, info.kind, info.apiVersion);
  if (r === undefined) return undefined;
  const problem = (reason: string): ObjectProblem => ({ kind: info.kind, namespace: info.namespaced ? m.namespace : undefined, name: m.name, source: 'api', reason });
  if ('object' in r) return r.degraded === undefined ? { type: 'upsert', object: r.object } : { type: 'upsert', object: r.object, problem: problem(r.degraded) };
  return { type: 'invalid', kind: info.kind, key: objectKey(info.kind, info.namespaced ? (m.namespace ?? 'default') : '', m.name ?? ''), problem: problem(r.reason) };
}

interface Meta {
  readonly name?: string;
  readonly namespace?: string;
  readonly resourceVersion?: string;
}

function metaOf(o: KubernetesObject): Meta {
  return (o.metadata ?? {}) as Meta;
}

class KindWatcher {
  readonly info: KindInfo;
  private readonly lw: ListWatch<KubernetesObject>;
  private readonly watch: BookmarkWatch;
  private st: { synced: boolean; connected: boolean; lists: number; events: number; errors: number; lastError?: string; lastContactAt?: number };
  private attempt = 0;
  private retry: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    info: KindInfo,
    private readonly opts: KubernetesDatastoreOptions,
    private readonly emit: (e: DatastoreEvent) => void,
  ) {
    this.info = info;
    this.st = { synced: false, connected: false, lists: 0, events: 0, errors: 0 };
    const kc = opts.kubeconfig;
    const path = collectionPath(info);
    const watch = (this.watch = new BookmarkWatch(kc, {
      timeoutSeconds: opts.watchTimeoutSeconds ?? 300,
      onEvent: () => this.contact(),
    }));
    this.lw = new ListWatch<KubernetesObject>(path, watch, () => this.list(path), false);
    this.lw.on('add', (o) => this.upsert(o));
    this.lw.on('update', (o) => this.upsert(o));
    this.lw.on('delete', (o) => {
      this.st.events++;
      const m = metaOf(o);
      this.emit({ type: 'delete', kind: info.kind, key: objectKey(info.kind, info.namespaced ? m.namespace : '', m.name ?? '') });
    });
    this.lw.on('error', (err: unknown) => this.failed(err));
  }

  private contact(): void {
    this.st.connected = true;
    this.st.lastContactAt = (this.opts.now ?? Date.now)();
    this.attempt = 0;
  }

  private async list(path: string): Promise<KubernetesListObject<KubernetesObject>> {
    const l = await listAll(this.opts.kubeconfig, path, { timeoutMs: this.opts.listTimeoutMs ?? 30_000 });
    this.st.lists++;
    this.contact();
    // ListWatch applies the items right after this promise resolves, in the same microtask run;
    // setImmediate runs after that, so `synced` always follows the listing's events.
    if (!this.st.synced) {
      setImmediate(() => {
        if (this.stopped || this.st.synced) return;
        this.st.synced = true;
        this.emit({ type: 'synced', kind: this.info.kind });
      });
    }
    return l as unknown as KubernetesListObject<KubernetesObject>;
  }

  private upsert(o: KubernetesObject): void {
    this.st.events++;
    const e = decodeWatched(this.info, o);
    if (e !== undefined) this.emit(e);
  }

  private failed(err: unknown): void {
    if (this.stopped) return;
    this.st.errors++;
    this.st.connected = false;
    this.st.lastError = err instanceof Error ? err.message : String(err);
    this.opts.onError?.(this.info.kind, err);
    const delay = backoffDelay(this.attempt++, this.opts.backoff ?? DEFAULT_BACKOFF);
    if (this.retry !== undefined) clearTimeout(this.retry);
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.start();
    }, delay);
  }

  start(): void {
    if (this.stopped) return;
    // Errors inside start() reach the 'error' callback; a rejection here would be a bug in
    // client-node, and is treated the same way.
    this.lw.start().catch((e: unknown) => this.failed(e));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry !== undefined) clearTimeout(this.retry);
    await this.lw.stop();
    this.watch.close();
  }

  status(): KindStatus {
    const rv = this.lw.latestResourceVersion();
    return { ...this.st, ...(rv !== '' ? { resourceVersion: rv } : {}) };
  }
}

export class KubernetesDatastore implements Datastore {
  readonly type = 'kubernetes' as const;
  private readonly watchers: KindWatcher[] = [];
  private readonly opts: KubernetesDatastoreOptions;

  constructor(opts: KubernetesDatastoreOptions) {
    this.opts = opts;
  }

  start(onEvent: (e: DatastoreEvent) => void): void {
    for (const info of this.opts.kinds ?? KINDS) {
      const w = new KindWatcher(info, this.opts, onEvent);
      this.watchers.push(w);
      w.start();
    }
  }

  status(): DatastoreStatus {
    return { type: this.type, kinds: Object.fromEntries(this.watchers.map((w) => [w.info.kind, w.status()])) };
  }

  async stop(): Promise<void> {
    await Promise.all(this.watchers.map((w) => w.stop()));
  }
}

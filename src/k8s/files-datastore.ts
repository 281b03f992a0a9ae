// The files datastore (DESIGN.md "Datastore files"): a directory of manifests is the source of
// truth. Every change re-reads the whole directory and emits it as one `replace`, so the view
// always equals the directory: removing a file deletes exactly the objects it held, and several
// agents sharing the directory see the same cluster. Reads are debounced (an editor's save is
// several events) and repeated every `rescanMs` in case an inotify event was missed. Only the
// directory itself is watched, not recursively: Node 20's recursive fs.watch on Linux is a
// JavaScript emulation with known crashes around removed entries, and manifests normally sit at
// the top; changes in subdirectories are picked up by the rescan. An
// unreadable directory keeps the last good content (fail static), as an unreachable API server does.

import { watch, type FSWatcher } from 'node:fs';
import type { Datastore, DatastoreEvent, DatastoreStatus, KindStatus, ObjectProblem } from './datastore.js';
import { WATCHED_KINDS } from './kinds.js';
import { readManifestDir } from './manifests-dir.js';

export interface FilesDatastoreOptions {
  readonly dir: string;
  readonly debounceMs?: number;
  readonly rescanMs?: number;
  readonly onError?: (err: unknown) => void;
  readonly now?: () => number;
}

export class FilesDatastore implements Datastore {
  readonly type = 'files' as const;
  private readonly opts: FilesDatastoreOptions;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private rescan: NodeJS.Timeout | undefined;
  private reading = false;
  private again = false;
  private stopped = false;
  private emit: (e: DatastoreEvent) => void = () => undefined;
  private st: { synced: boolean; connected: boolean; lists: number; events: number; errors: number; lastError?: string; lastContactAt?: number } = {
    synced: false,
    connected: false,
    lists: 0,
    events: 0,
    errors: 0,
  };

  constructor(opts: FilesDatastoreOptions) {
    this.opts = opts;
  }

  start(onEvent: (e: DatastoreEvent) => void): void {
    this.emit = onEvent;
    this.watchDir();
    this.read();
    this.rescan = setInterval(() => {
      this.watchDir();
      this.read();
    }, this.opts.rescanMs ?? 30_000);
    this.rescan.unref();
  }

  /** (Re)arm the directory watch; a directory that is missing now is retried at the next rescan. */
  private watchDir(): void {
    if (this.watcher !== undefined || this.stopped) return;
    try {
      this.watcher = watch(this.opts.dir, () => this.schedule());
      this.watcher.on('error', () => {
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch {
      this.watcher = undefined;
    }
  }

  private schedule(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.read();
    }, this.opts.debounceMs ?? 50);
  }

  private read(): void {
    if (this.stopped) return;
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = true;
    readManifestDir(this.opts.dir)
      .then(({ objects, problems }) => {
        if (this.stopped) return;
        this.st.lists++;
        this.st.events++;
        this.st.connected = true;
        this.st.lastContactAt = (this.opts.now ?? Date.now)();
        const ps: ObjectProblem[] = problems.map((p) => ({ kind: p.kind, namespace: undefined, name: p.name, source: `${p.source}#${p.index}`, reason: p.reason }));
        this.emit({ type: 'replace', objects, problems: ps });
        if (!this.st.synced) {
          this.st.synced = true;
          for (const kind of WATCHED_KINDS) this.emit({ type: 'synced', kind });
        }
      })
      .catch((e: unknown) => {
        this.st.errors++;
        this.st.connected = false;
        this.st.lastError = e instanceof Error ? e.message : String(e);
        this.opts.onError?.(e);
      })
      .finally(() => {
        this.reading = false;
        if (this.again) {
          this.again = false;
          this.read();
        }
      });
  }

  status(): DatastoreStatus {
    const one: KindStatus = { ...this.st };
    return { type: this.type, kinds: Object.fromEntries(WATCHED_KINDS.map((k) => [k, one])) };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watcher?.close();
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.rescan !== undefined) clearInterval(this.rescan);
  }
}

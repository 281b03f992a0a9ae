// client-node's Watch with what its ListWatch does not ask for:
// - allowWatchBookmarks: the server sends BOOKMARK events carrying a fresh resourceVersion, which
//   ListWatch records, so a watch that reconnects after a quiet period resumes from a recent
//   version instead of one the server may have compacted away (410 Gone, a full relist);
// - timeoutSeconds: the server ends each watch after a while (client-go picks 5-10 min), and
//   ListWatch resumes from the last resourceVersion; a connection that silently died is noticed;
// - a watchdog: no event (not even a bookmark) for longer than the server timeout plus a margin
//   means the connection is dead without a reset (a blackholed peer); abort it, which ends the
//   watch with an error, and the informer's backoff takes over;
// - close(): ListWatch.stop() cannot abort a watch whose request is still connecting (it only
//   knows the request once the response headers arrived), so the watch would outlive stop();
//   a closed BookmarkWatch aborts such a late request as soon as it exists.

import { Watch, type KubeConfig } from '@kubernetes/client-node';

export interface BookmarkWatchOptions {
  readonly timeoutSeconds: number;
  /** Extra silence tolerated beyond timeoutSeconds before the connection is presumed dead. */
  readonly watchdogMarginMs?: number;
  /** Every event received, for metrics and contact tracking. */
  readonly onEvent?: (type: string) => void;
}

type Params = Record<string, string | number | boolean | undefined>;

export class BookmarkWatch extends Watch {
  private readonly opts: BookmarkWatchOptions;
  private closed = false;
  private current: AbortController | undefined;

  constructor(kc: KubeConfig, opts: BookmarkWatchOptions) {
    super(kc);
    this.opts = opts;
  }

  override async watch(
    path: string,
    queryParams: Params,
    // Passed through untouched to ListWatch.
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    const jitter = Math.floor(Math.random() * this.opts.timeoutSeconds * 0.25);
    const timeoutSeconds = this.opts.timeoutSeconds + jitter;
    const limitMs = timeoutSeconds * 1000 + (this.opts.watchdogMarginMs ?? 30_000);
    // The controller exists only once the request is made; the watchdog may fire before that.
    const ref: { controller?: AbortController } = {};
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      if (timer !== undefined) clearTimeout(timer);
      timer = setTimeout(() => ref.controller?.abort(), limitMs);
      timer.unref();
    };
    arm();
    ref.controller = await super.watch(
      path,
      { ...queryParams, allowWatchBookmarks: true, timeoutSeconds },
      (phase, obj, raw) => {
        arm();
        this.opts.onEvent?.(phase);
        callback(phase, obj, raw);
      },
      (err) => {
        if (timer !== undefined) clearTimeout(timer);
        done(err);
      },
    );
    this.current = ref.controller;
    if (this.closed) ref.controller.abort();
    return ref.controller;
  }

  /** Abort the current watch, and any that was still connecting. */
  close(): void {
    this.closed = true;
    this.current?.abort();
  }
}

// client-node's Watch with what its ListWatch does not ask for:
// - allowWatchBookmarks: the server sends BOOKMARK events carrying a fresh resourceVersion, which
//   ListWatch records, so a watch that reconnects after a quiet period resumes from a recent
//   version instead of one the server may have compacted away (410 Gone, a full relist);
// - timeoutSeconds: the server ends each watch after a while (client-go picks 5-10 min), and
//   ListWatch resumes from the last resourceVersion; a connection that silently died is noticed;
// - a watchdog: no event (not even a bookmark) for longer than the server timeout plus a margin
//   means the connection is dead without a reset (a blackholed peer); abort it, which ends the
//   watch with an error, and the informer's backoff takes over; likewise a request that gets no
//   response headers within 30 s (client-node means to time it out but overwrites its own signal);
// - close(): ListWatch.stop() cannot abort a watch whose request is still connecting (it only
//   knows the request once the response headers arrived), so the watch would outlive stop();
//   a closed BookmarkWatch aborts such a late request as soon as it exists.

import { Watch, type KubeConfig } from '@kubernetes/client-node';

export interface BookmarkWatchOptions {
  readonly timeoutSeconds: number;
  /** Extra silence tolerated beyond timeoutSeconds before the connection is presumed dead. */
  readonly watchdogMarginMs?: number;
  /** How long the response headers may take (default 30 s) before the watch is declared dead. */
  readonly responseTimeoutMs?: number;
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
    const responseMs = this.opts.responseTimeoutMs ?? 30_000;
    // client-node creates the request's AbortController inside watch() and hands it out only once
    // the response headers arrived, so a request to a blackholed server cannot be aborted: it would
    // hang until the kernel gives up on the connection (minutes). Past the response deadline the
    // watch is declared dead here instead (done, once), and the late request aborted when it shows.
    let finished = false;
    let expire: (() => void) | undefined;
    const expired = new Promise<undefined>((res) => (expire = () => res(undefined)));
    const finish = (err: unknown): void => {
      if (finished) return;
      finished = true;
      if (timer !== undefined) clearTimeout(timer);
      done(err);
    };
    const ref: { controller?: AbortController } = {};
    let timer: NodeJS.Timeout | undefined;
    const arm = (ms: number) => {
      if (timer !== undefined) clearTimeout(timer);
      timer = setTimeout(() => {
        if (ref.controller !== undefined) ref.controller.abort();
        else {
          finish(new Error(`no response from the API server within ${ms} ms`));
          expire?.();
        }
      }, ms);
      timer.unref();
    };
    arm(responseMs);
    const request = super.watch(
      path,
      { ...queryParams, allowWatchBookmarks: true, timeoutSeconds },
      (phase, obj, raw) => {
        if (finished) return;
        arm(limitMs);
        this.opts.onEvent?.(phase);
        callback(phase, obj, raw);
      },
      finish,
    );
    const controller = await Promise.race([request, expired]);
    if (controller === undefined) {
      void request.then((late) => late.abort(), () => undefined);
      const dead = new AbortController();
      dead.abort();
      return dead;
    }
    ref.controller = controller;
    // Headers are in: from now on silence means no event (not even a bookmark) for too long.
    if (!finished) arm(limitMs);
    this.current = controller;
    if (this.closed) controller.abort();
    return controller;
  }

  /** Abort the current watch, and any that was still connecting. */
  close(): void {
    this.closed = true;
    this.current?.abort();
  }
}

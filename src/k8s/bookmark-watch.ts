// client-node's Watch with what its ListWatch does not ask for:
// - allowWatchBookmarks: the server sends BOOKMARK events carrying a fresh resourceVersion, which
//   ListWatch records, so a watch that reconnects after a quiet period resumes from a recent
//   version instead of one the server may have compacted away (410 Gone, a full relist);
// - timeoutSeconds: the server ends each watch after a while (client-go picks 5-10 min), and
//   ListWatch resumes from the last resourceVersion; a connection that silently died is noticed;
// - a watchdog: no event (not even a bookmark) for longer than the server timeout plus a margin
//   means the connection is dead without a reset (a blackholed peer); abort it, which ends the
//   watch with an error, and the informer's backoff takes over; likewise a request that gets no
//   response headers within 30 s (withResponseTimeout);
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
    super(withResponseTimeout(kc, opts.responseTimeoutMs ?? 30_000));
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
    // Until the response headers arrive, the request's own timeout (set in the constructor) bounds
    // the wait; from then on, silence (not even a bookmark) for too long means a dead connection.
    const ref: { controller?: AbortController } = {};
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      if (timer !== undefined) clearTimeout(timer);
      timer = setTimeout(() => ref.controller?.abort(), limitMs);
      timer.unref();
    };
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
        timer = undefined;
        done(err);
      },
    );
    if (!ref.controller.signal.aborted) arm();
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

/**
 * The KubeConfig, with a response timeout on every request made through it. client-node means to
 * give a watch request 30 s but overwrites its own signal, and hands out the request's controller
 * only once the headers arrived, so nothing could abort a request to a blackholed or wedged API
 * server: it would hang (socket and all) until the kernel gives up on the connection. node-fetch's
 * `timeout` covers exactly the wait for the headers (it is cleared on response, and a streamed
 * body has none), then aborts the request, and the watch ends with that error.
 */
function withResponseTimeout(kc: KubeConfig, timeoutMs: number): KubeConfig {
  const wrapped = Object.create(kc) as KubeConfig;
  wrapped.applyToFetchOptions = async (opts) => ({ ...(await kc.applyToFetchOptions(opts)), timeout: timeoutMs }) as Awaited<ReturnType<KubeConfig['applyToFetchOptions']>>;
  return wrapped;
}

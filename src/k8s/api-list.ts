// List one collection from the API server, page by page (limit/continue), as raw JSON: the
// informer hands the items to the manifest decoders, so list items and watch objects go through
// exactly the same code. Authentication and TLS come from the KubeConfig (token, client
// certificate, CA), applied to a plain node:https request.

import { request as httpsRequest } from 'node:https';
import { request as httpRequest, type RequestOptions } from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';
import { MeridianError } from '../errors.js';

export class ApiError extends MeridianError {
  readonly code = 'K8S_API';
  /** HTTP status, or undefined when no answer came (connection refused, timeout). */
  readonly statusCode: number | undefined;
  readonly path: string;
  constructor(path: string, statusCode: number | undefined, message: string, cause?: unknown) {
    super(`${path}: ${message}`, { cause });
    this.path = path;
    this.statusCode = statusCode;
  }
}

export interface RawList {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata: { resourceVersion?: string; continue?: string };
  readonly items: Record<string, unknown>[];
}

const PAGE = 500;

async function getJson(kc: KubeConfig, path: string, timeoutMs: number): Promise<unknown> {
  const cluster = kc.getCurrentCluster();
  if (cluster === null) throw new ApiError(path, undefined, 'kubeconfig has no current cluster');
  const url = new URL(cluster.server.replace(/\/$/, '') + path);
  const opts: RequestOptions = { method: 'GET', headers: { accept: 'application/json' }, timeout: timeoutMs };
  await kc.applyToHTTPSOptions(opts);
  const request = url.protocol === 'http:' ? httpRequest : httpsRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, opts, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('error', (e) => reject(new ApiError(path, res.statusCode, e.message, e)));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        if (status !== 200) {
          let msg = body.slice(0, 300);
          try {
            msg = String((JSON.parse(body) as { message?: unknown }).message ?? msg);
          } catch {
            // not a Status object
          }
          reject(new ApiError(path, status, `HTTP ${status}: ${msg}`));
          return;
        }
        try {
          resolve(JSON.parse(body));
        } catch (e) {
          reject(new ApiError(path, status, 'answer is not JSON', e));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e) => reject(e instanceof ApiError ? e : new ApiError(path, undefined, e.message, e)));
    req.end();
  });
}

/** Every item of a collection at one resourceVersion (the first page's; later pages share it). */
export async function listAll(kc: KubeConfig, path: string, opts: { timeoutMs?: number } = {}): Promise<RawList> {
  const items: Record<string, unknown>[] = [];
  let resourceVersion: string | undefined;
  let cont: string | undefined;
  do {
    const q = new URLSearchParams({ limit: String(PAGE), ...(cont !== undefined ? { continue: cont } : {}) });
    const page = (await getJson(kc, `${path}?${q.toString()}`, opts.timeoutMs ?? 30_000)) as Partial<RawList>;
    if (!Array.isArray(page.items)) throw new ApiError(path, 200, 'answer is not a list');
    items.push(...page.items);
    resourceVersion ??= page.metadata?.resourceVersion;
    cont = page.metadata?.continue || undefined;
  } while (cont !== undefined);
  return { metadata: { ...(resourceVersion !== undefined ? { resourceVersion } : {}) }, items };
}

// One request to the API server as raw JSON. Authentication and TLS come from the KubeConfig
// (token, client certificate, CA), applied to a plain node:https request. Raw JSON, not
// client-node's typed models: those drop fields they do not know and rename others (a CRD's
// `x-kubernetes-validations` would be lost), and the informer hands list items to the manifest
// decoders exactly as the server sent them.

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

export interface ApiRequest {
  readonly method?: string;
  readonly body?: unknown;
  /** Default application/json; patches name their strategy (application/apply-patch+yaml, ...). */
  readonly contentType?: string;
  readonly timeoutMs?: number;
}

export interface ApiAnswer {
  readonly status: number;
  /** The parsed JSON body, or the text when it is not JSON. */
  readonly body: unknown;
}

/** The server's message from a Status body, or the start of the text. */
export function statusMessage(body: unknown): string {
  if (typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string') return (body as { message: string }).message;
  return (typeof body === 'string' ? body : JSON.stringify(body)).slice(0, 300);
}

/** Send one request; any HTTP status resolves (the caller decides), no answer rejects with ApiError. */
export async function apiRequest(kc: KubeConfig, path: string, r: ApiRequest = {}): Promise<ApiAnswer> {
  const cluster = kc.getCurrentCluster();
  if (cluster === null) throw new ApiError(path, undefined, 'kubeconfig has no current cluster');
  const url = new URL(cluster.server.replace(/\/$/, '') + path);
  const timeoutMs = r.timeoutMs ?? 30_000;
  const payload = r.body === undefined ? undefined : JSON.stringify(r.body);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (payload !== undefined) {
    headers['content-type'] = r.contentType ?? 'application/json';
    // Node frames a DELETE body only with an explicit length (no chunking by default for DELETE).
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  const opts: RequestOptions = { method: r.method ?? 'GET', headers, timeout: timeoutMs };
  await kc.applyToHTTPSOptions(opts);
  const request = url.protocol === 'http:' ? httpRequest : httpsRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, opts, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('error', (e) => reject(new ApiError(path, res.statusCode, e.message, e)));
      res.on('end', () => {
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON (/readyz answers "ok")
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e) => reject(e instanceof ApiError ? e : new ApiError(path, undefined, e.message, e)));
    req.end(payload);
  });
}

/** GET that must answer 200 with JSON. */
export async function getJson(kc: KubeConfig, path: string, timeoutMs?: number): Promise<unknown> {
  const a = await apiRequest(kc, path, timeoutMs !== undefined ? { timeoutMs } : {});
  if (a.status !== 200) throw new ApiError(path, a.status, `HTTP ${a.status}: ${statusMessage(a.body)}`);
  if (typeof a.body !== 'object' || a.body === null) throw new ApiError(path, a.status, 'answer is not JSON');
  return a.body;
}

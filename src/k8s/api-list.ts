// List one collection from the API server, page by page (limit/continue), as raw JSON: the
// informer hands the items to the manifest decoders, so list items and watch objects go through
// exactly the same code.

import type { KubeConfig } from '@kubernetes/client-node';
import { ApiError, getJson } from './api-request.js';

export interface RawList {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata: { resourceVersion?: string; continue?: string };
  readonly items: Record<string, unknown>[];
}

const PAGE = 500;

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

// kubectl-like operations for `meridian lab --apiserver`: apply and delete raw manifests, set a
// pod's status as kubelet would, and read the cluster back exactly as the agents see it.
//
// - apply is server-side apply (PATCH application/apply-patch+yaml, force, one field manager),
//   which creates or updates in one request; strict field validation, so a misspelt field is a
//   problem reported for that object rather than silently dropped. Namespaces go first, then
//   CRDs (waited on until Established), then the rest in the given order. A bad object is
//   reported and skipped; the others are still applied.
// - Kinds are resolved to resources by discovery (/api/v1, /apis/GROUP/VERSION), as kubectl does,
//   so any kind the server serves works, CRDs included.
// - The lab has no kubelet and no kube-controller-manager: Pods are deleted with a grace period
//   of 0 (nobody would confirm a graceful deletion), and a Namespace is emptied of the kinds the
//   agent watches and finalized here, as the namespace controller would.
// Raw JSON throughout (api-request.ts says why not client-node's typed models).

import type { KubeConfig } from '@kubernetes/client-node';
import { listAll } from './api-list.js';
import { ApiError, apiRequest, statusMessage, type ApiAnswer } from './api-request.js';
import type { ObjectProblem } from './datastore.js';
import { decodeWatched, loadKubeConfig } from './informers.js';
import { collectionPath, KINDS, keyOf } from './kinds.js';
import type { KubeObject } from './objects.js';
import { pollUntil } from './poll.js';

export const FIELD_MANAGER = 'meridian-lab';

export interface ApplyProblem {
  /** The object ("Kind namespace/name"), or "document N" when it cannot even be named. */
  readonly source: string;
  readonly reason: string;
}

export interface ApplyResult {
  /** "Kind namespace/name" (or "Kind name" when cluster-scoped) of every object applied. */
  readonly applied: string[];
  readonly problems: ApplyProblem[];
}

export interface DeleteResult {
  /** Objects deleted, and objects that were not there (also fine). */
  readonly deleted: string[];
  readonly absent: string[];
  readonly problems: ApplyProblem[];
}

interface Doc {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string } & Record<string, unknown>;
  readonly [field: string]: unknown;
}

interface Resource {
  readonly name: string;
  readonly namespaced: boolean;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Documents in, objects out: nulls (empty YAML documents) dropped, `kind: List` flattened. */
function flatten(docs: readonly unknown[]): unknown[] {
  return docs.flatMap((d) => (isRecord(d) && typeof d['kind'] === 'string' && d['kind'].endsWith('List') && Array.isArray(d['items']) ? flatten(d['items']) : d === null || d === undefined ? [] : [d]));
}

function toDoc(raw: unknown): Doc | string {
  if (!isRecord(raw)) return 'not an object';
  const meta = raw['metadata'];
  if (typeof raw['apiVersion'] !== 'string' || raw['apiVersion'] === '') return 'apiVersion: required';
  if (typeof raw['kind'] !== 'string' || raw['kind'] === '') return 'kind: required';
  if (!isRecord(meta) || typeof meta['name'] !== 'string' || meta['name'] === '') return 'metadata.name: required';
  if (meta['namespace'] !== undefined && typeof meta['namespace'] !== 'string') return 'metadata.namespace: must be a string';
  return raw as unknown as Doc;
}

function describe(d: Doc, res?: Resource): string {
  const ns = res === undefined ? d.metadata.namespace : res.namespaced ? (d.metadata.namespace ?? 'default') : undefined;
  return `${d.kind} ${ns !== undefined ? `${ns}/` : ''}${d.metadata.name}`;
}

/** Namespaces, then CRDs, then everything else, each group in the given order. */
function rank(d: Doc): number {
  return d.kind === 'Namespace' ? 0 : d.kind === 'CustomResourceDefinition' ? 1 : 2;
}

function groupVersionPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

/** kind -> resource by discovery, per apiVersion, fetched again when a kind is not (yet) known. */
class Discovery {
  private readonly cache = new Map<string, Map<string, Resource>>();
  constructor(private readonly kc: KubeConfig) {}

  private async fetch(apiVersion: string): Promise<Map<string, Resource>> {
    const a = await apiRequest(this.kc, groupVersionPath(apiVersion));
    const m = new Map<string, Resource>();
    if (a.status === 200 && isRecord(a.body) && Array.isArray(a.body['resources'])) {
      for (const r of a.body['resources'] as unknown[]) {
        // Subresources (pods/status) share the kind; the resource itself has no slash.
        if (isRecord(r) && typeof r['name'] === 'string' && !r['name'].includes('/') && typeof r['kind'] === 'string') m.set(r['kind'], { name: r['name'], namespaced: r['namespaced'] === true });
      }
    } else if (a.status !== 404) {
      throw new ApiError(groupVersionPath(apiVersion), a.status, `discovery: HTTP ${a.status}: ${statusMessage(a.body)}`);
    }
    this.cache.set(apiVersion, m);
    return m;
  }

  async resource(apiVersion: string, kind: string): Promise<Resource | undefined> {
    return this.cache.get(apiVersion)?.get(kind) ?? (await this.fetch(apiVersion)).get(kind);
  }

  forget(apiVersion: string): void {
    this.cache.delete(apiVersion);
  }
}

function objectPath(d: Doc, res: Resource): string {
  const ns = res.namespaced ? `/namespaces/${encodeURIComponent(d.metadata.namespace ?? 'default')}` : '';
  return `${groupVersionPath(d.apiVersion)}${ns}/${res.name}/${encodeURIComponent(d.metadata.name)}`;
}

function failure(a: ApiAnswer): string {
  return `HTTP ${a.status}: ${statusMessage(a.body)}`;
}

/** What the server owns in metadata; a manifest saved from a cluster carries it, apply must not. */
const SERVER_METADATA = ['resourceVersion', 'uid', 'creationTimestamp', 'generation', 'managedFields', 'selfLink', 'deletionTimestamp'];

function applyBody(d: Doc): Doc {
  const metadata = Object.fromEntries(Object.entries(d.metadata).filter(([k]) => !SERVER_METADATA.includes(k))) as Doc['metadata'];
  return { ...d, metadata };
}

interface Prepared {
  readonly doc: Doc;
  readonly source: string;
}

/** Checks each document's shape; the bad ones become problems. Sorted by rank (stable). */
function prepare(docs: readonly unknown[], problems: ApplyProblem[]): Prepared[] {
  const out: Prepared[] = [];
  flatten(docs).forEach((raw, i) => {
    const d = toDoc(raw);
    if (typeof d === 'string') problems.push({ source: `document ${i}`, reason: d });
    else out.push({ doc: d, source: describe(d) });
  });
  return out.sort((a, b) => rank(a.doc) - rank(b.doc));
}

/** The resource of a document's kind; CRDs applied earlier in this batch may take a moment to be served. */
async function resolve(disc: Discovery, d: Doc, newGroups: ReadonlySet<string>): Promise<Resource> {
  const found = await disc.resource(d.apiVersion, d.kind);
  if (found !== undefined) return found;
  const group = d.apiVersion.split('/')[0] ?? '';
  if (newGroups.has(group)) {
    return pollUntil(
      async () => {
        disc.forget(d.apiVersion);
        return disc.resource(d.apiVersion, d.kind);
      },
      { timeoutMs: 10_000, intervalMs: 100, what: `the API server to serve ${d.apiVersion} ${d.kind}` },
    );
  }
  throw new Error(`the API server does not serve ${d.apiVersion} ${d.kind}`);
}

async function waitEstablished(kc: KubeConfig, path: string, name: string): Promise<void> {
  await pollUntil(
    async () => {
      const a = await apiRequest(kc, path);
      const conds = isRecord(a.body) && isRecord(a.body['status']) && Array.isArray(a.body['status']['conditions']) ? (a.body['status']['conditions'] as unknown[]) : [];
      return conds.some((c) => isRecord(c) && c['type'] === 'Established' && c['status'] === 'True');
    },
    { timeoutMs: 30_000, intervalMs: 100, what: `CRD ${name} to be Established` },
  );
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Create or update every object (server-side apply). A bad object is reported and skipped. */
export async function applyObjects(kubeconfigPath: string, docs: readonly unknown[]): Promise<ApplyResult> {
  const kc = loadKubeConfig(kubeconfigPath);
  const disc = new Discovery(kc);
  const problems: ApplyProblem[] = [];
  const applied: string[] = [];
  const newGroups = new Set<string>();
  for (const { doc, source } of prepare(docs, problems)) {
    try {
      const res = await resolve(disc, doc, newGroups);
      const path = objectPath(doc, res);
      const q = new URLSearchParams({ fieldManager: FIELD_MANAGER, force: 'true', fieldValidation: 'Strict' });
      // JSON is YAML: the apply content type takes either.
      const a = await apiRequest(kc, `${path}?${q.toString()}`, { method: 'PATCH', body: applyBody(doc), contentType: 'application/apply-patch+yaml' });
      if (a.status !== 200 && a.status !== 201) throw new Error(failure(a));
      if (doc.kind === 'CustomResourceDefinition') {
        await waitEstablished(kc, path, doc.metadata.name);
        const spec = isRecord(doc['spec']) ? doc['spec'] : {};
        if (typeof spec['group'] === 'string') newGroups.add(spec['group']);
      }
      applied.push(describe(doc, res));
    } catch (e) {
      problems.push({ source, reason: message(e) });
    }
  }
  return { applied, problems };
}

async function deleteAt(kc: KubeConfig, path: string, kind: string): Promise<'deleted' | 'absent'> {
  // No kubelet confirms a graceful pod deletion in the lab: delete at once (the lab unwires it).
  const a = await apiRequest(kc, kind === 'Pod' ? `${path}?gracePeriodSeconds=0` : path, { method: 'DELETE' });
  if (a.status === 404) return 'absent';
  if (a.status !== 200 && a.status !== 202) throw new Error(failure(a));
  return 'deleted';
}

/**
 * What the namespace controller does, which the lab does not run: delete the namespace's objects of
 * the kinds the agent watches, then clear its finalizers so the API server removes it.
 */
async function finalizeNamespace(kc: KubeConfig, name: string): Promise<void> {
  for (const info of KINDS.filter((k) => k.namespaced)) {
    const base = `${groupVersionPath(info.apiVersion)}/namespaces/${encodeURIComponent(name)}/${info.resource}`;
    const items = (await listAll(kc, base)).items;
    for (const item of items) {
      const n = isRecord(item['metadata']) ? item['metadata']['name'] : undefined;
      if (typeof n === 'string') await deleteAt(kc, `${base}/${encodeURIComponent(n)}`, info.kind);
    }
  }
  const path = `/api/v1/namespaces/${encodeURIComponent(name)}`;
  const got = await apiRequest(kc, path);
  if (got.status === 404) return;
  if (got.status !== 200 || !isRecord(got.body)) throw new Error(failure(got));
  const ns = got.body;
  const a = await apiRequest(kc, `${path}/finalize`, { method: 'PUT', body: { ...ns, spec: { ...(isRecord(ns['spec']) ? ns['spec'] : {}), finalizers: [] } } });
  if (a.status !== 200 && a.status !== 404) throw new Error(`finalize: ${failure(a)}`);
}

/** Delete every object; one that is not there is fine. Namespaces last, CRDs after their objects. */
export async function deleteObjects(kubeconfigPath: string, docs: readonly unknown[]): Promise<DeleteResult> {
  const kc = loadKubeConfig(kubeconfigPath);
  const disc = new Discovery(kc);
  const problems: ApplyProblem[] = [];
  const deleted: string[] = [];
  const absent: string[] = [];
  for (const { doc, source } of prepare(docs, problems).reverse()) {
    try {
      const res = await disc.resource(doc.apiVersion, doc.kind);
      if (res === undefined) throw new Error(`the API server does not serve ${doc.apiVersion} ${doc.kind}`);
      const outcome = await deleteAt(kc, objectPath(doc, res), doc.kind);
      if (doc.kind === 'Namespace' && doc.apiVersion === 'v1') await finalizeNamespace(kc, doc.metadata.name);
      (outcome === 'deleted' ? deleted : absent).push(describe(doc, res));
    } catch (e) {
      problems.push({ source, reason: message(e) });
    }
  }
  return { deleted, absent, problems };
}

export interface PodStatusUpdate {
  readonly podIPs: readonly string[];
  readonly phase: 'Running';
}

/** Write a pod's IPs and phase through the status subresource, as kubelet does. */
export async function setPodStatus(kubeconfigPath: string, namespace: string, name: string, status: PodStatusUpdate): Promise<void> {
  const kc = loadKubeConfig(kubeconfigPath);
  const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}/status`;
  const body = { status: { phase: status.phase, podIP: status.podIPs[0] ?? null, podIPs: status.podIPs.map((ip) => ({ ip })) } };
  const a = await apiRequest(kc, path, { method: 'PATCH', body, contentType: 'application/merge-patch+json' });
  if (a.status !== 200) throw new ApiError(path, a.status, failure(a));
}

/** Write a Node's status (its addresses) through the status subresource, as kubelet does. */
export async function setNodeStatus(kubeconfigPath: string, name: string, status: Record<string, unknown>): Promise<void> {
  const kc = loadKubeConfig(kubeconfigPath);
  const path = `/api/v1/nodes/${encodeURIComponent(name)}/status`;
  const a = await apiRequest(kc, path, { method: 'PATCH', body: { status }, contentType: 'application/merge-patch+json' });
  if (a.status !== 200) throw new ApiError(path, a.status, failure(a));
}

export interface ClusterView {
  /** In key order (kind/namespace/name), as the agent's store lists them. */
  readonly objects: KubeObject[];
  /** Objects the agent skips as unusable. */
  readonly problems: ObjectProblem[];
}

/**
 * Every object of every kind the agent watches, decoded exactly as the agent's informers decode
 * them (decodeWatched), so a viewDigest() of these objects is the digest an agent that has caught
 * up reports.
 */
export async function readClusterView(kubeconfigPath: string): Promise<ClusterView> {
  const kc = loadKubeConfig(kubeconfigPath);
  const objects: KubeObject[] = [];
  const problems: ObjectProblem[] = [];
  for (const info of KINDS) {
    for (const item of (await listAll(kc, collectionPath(info))).items) {
      const e = decodeWatched(info, item);
      if (e === undefined) continue;
      if (e.type === 'upsert') objects.push(e.object);
      if (e.problem !== undefined) problems.push(e.problem);
    }
  }
  const keyed = objects.map((o) => [keyOf(o), o] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { objects: keyed.map(([, o]) => o), problems };
}

export async function listClusterObjects(kubeconfigPath: string): Promise<KubeObject[]> {
  return (await readClusterView(kubeconfigPath)).objects;
}

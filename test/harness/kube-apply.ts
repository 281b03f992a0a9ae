// Create Kubernetes objects on the test control plane from manifests (deploy/, test objects), as
// `kubectl create -f` would: the collection URL from apiVersion and kind, POST as the admin. CRDs
// are waited on until Established, so objects of their kinds can be created right after.

import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { ApiResponse, ControlPlane } from './control-plane.js';
import { waitFor } from './wait.js';

export type Doc = Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> } };

const RESOURCES: Record<string, { resource: string; namespaced: boolean }> = {
  CustomResourceDefinition: { resource: 'customresourcedefinitions', namespaced: false },
  ServiceAccount: { resource: 'serviceaccounts', namespaced: true },
  ClusterRole: { resource: 'clusterroles', namespaced: false },
  ClusterRoleBinding: { resource: 'clusterrolebindings', namespaced: false },
  Role: { resource: 'roles', namespaced: true },
  RoleBinding: { resource: 'rolebindings', namespaced: true },
  Secret: { resource: 'secrets', namespaced: true },
  ConfigMap: { resource: 'configmaps', namespaced: true },
  DaemonSet: { resource: 'daemonsets', namespaced: true },
  Namespace: { resource: 'namespaces', namespaced: false },
  Node: { resource: 'nodes', namespaced: false },
  Pod: { resource: 'pods', namespaced: true },
  Service: { resource: 'services', namespaced: true },
  NetworkPolicy: { resource: 'networkpolicies', namespaced: true },
  BGPPeer: { resource: 'bgppeers', namespaced: false },
  BGPConfiguration: { resource: 'bgpconfigurations', namespaced: false },
};

export function collectionUrl(apiVersion: string, kind: string, namespace?: string): string {
  const r = RESOURCES[kind];
  if (r === undefined) throw new Error(`kube-apply: unknown kind ${kind}`);
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  return r.namespaced ? `${base}/namespaces/${namespace ?? 'default'}/${r.resource}` : `${base}/${r.resource}`;
}

export function objectUrl(d: Pick<Doc, 'apiVersion' | 'kind' | 'metadata'>): string {
  return `${collectionUrl(d.apiVersion, d.kind, d.metadata.namespace)}/${d.metadata.name}`;
}

export function readDocs(file: string): Doc[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJS() as Doc | null)
    .filter((d): d is Doc => d !== null);
}

/** POST one object; throws unless created. */
export async function create(cp: ControlPlane, d: Doc): Promise<Record<string, unknown>> {
  const r = await cp.request('POST', collectionUrl(d.apiVersion, d.kind, d.metadata.namespace), { body: d });
  if (r.status !== 201) throw new Error(`create ${d.kind} ${d.metadata.name}: ${r.status} ${r.body.slice(0, 500)}`);
  return JSON.parse(r.body) as Record<string, unknown>;
}

/** POST, returning the response whatever it is (for tests of what the API refuses). */
export async function tryCreate(cp: ControlPlane, d: Doc): Promise<ApiResponse> {
  return cp.request('POST', collectionUrl(d.apiVersion, d.kind, d.metadata.namespace), { body: d });
}

export async function remove(cp: ControlPlane, d: Pick<Doc, 'apiVersion' | 'kind' | 'metadata'>): Promise<void> {
  const r = await cp.request('DELETE', objectUrl(d));
  if (r.status !== 200 && r.status !== 202) throw new Error(`delete ${d.kind} ${d.metadata.name}: ${r.status} ${r.body.slice(0, 300)}`);
}

/** JSON merge patch of an object (or its status subresource). */
export async function mergePatch(cp: ControlPlane, d: Pick<Doc, 'apiVersion' | 'kind' | 'metadata'>, patch: unknown, opts: { status?: boolean } = {}): Promise<void> {
  const r = await cp.request('PATCH', objectUrl(d) + (opts.status === true ? '/status' : ''), { body: patch, contentType: 'application/merge-patch+json' });
  if (r.status !== 200) throw new Error(`patch ${d.kind} ${d.metadata.name}: ${r.status} ${r.body.slice(0, 300)}`);
}

/** Create every document of the files, in order; CRDs are waited on until Established. */
export async function applyFiles(cp: ControlPlane, files: readonly string[]): Promise<Doc[]> {
  const all: Doc[] = [];
  for (const f of files) {
    for (const d of readDocs(f)) {
      await create(cp, d);
      all.push(d);
      if (d.kind === 'CustomResourceDefinition') {
        await waitFor(
          async () => {
            const r = await cp.request('GET', objectUrl(d));
            const conds = (JSON.parse(r.body) as { status?: { conditions?: { type: string; status: string }[] } }).status?.conditions ?? [];
            return conds.some((c) => c.type === 'Established' && c.status === 'True');
          },
          { timeoutMs: 20_000, what: `CRD ${d.metadata.name} to be Established` },
        );
      }
    }
  }
  return all;
}

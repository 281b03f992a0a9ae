// The kinds the agent watches, and where each lives in the API. One table for both datastores, the
// view's sync gating and the RBAC rules in deploy/ (test/unit/k8s/kinds.test.ts checks the
// ClusterRole against it), so adding a kind here is the one change that makes it watched.

import type { KubeObject } from './objects.js';
import { CRD_API_VERSION, CRD_GROUP } from './routing-objects.js';

export type WatchedKind = KubeObject['kind'];

export interface KindInfo {
  readonly kind: WatchedKind;
  readonly apiVersion: string;
  /** API group ("" for the core group), as RBAC rules name it. */
  readonly group: string;
  /** Plural resource name, as URLs and RBAC rules name it. */
  readonly resource: string;
  readonly namespaced: boolean;
}

export const KINDS: readonly KindInfo[] = [
  { kind: 'Node', apiVersion: 'v1', group: '', resource: 'nodes', namespaced: false },
  { kind: 'Namespace', apiVersion: 'v1', group: '', resource: 'namespaces', namespaced: false },
  { kind: 'Pod', apiVersion: 'v1', group: '', resource: 'pods', namespaced: true },
  { kind: 'Service', apiVersion: 'v1', group: '', resource: 'services', namespaced: true },
  { kind: 'NetworkPolicy', apiVersion: 'networking.k8s.io/v1', group: 'networking.k8s.io', resource: 'networkpolicies', namespaced: true },
  { kind: 'BGPPeer', apiVersion: CRD_API_VERSION, group: CRD_GROUP, resource: 'bgppeers', namespaced: false },
  { kind: 'BGPConfiguration', apiVersion: CRD_API_VERSION, group: CRD_GROUP, resource: 'bgpconfigurations', namespaced: false },
];

export const WATCHED_KINDS: readonly WatchedKind[] = KINDS.map((k) => k.kind);

/** The cluster-wide collection URL path: every namespace for namespaced kinds. */
export function collectionPath(k: KindInfo): string {
  return k.group === '' ? `/api/${k.apiVersion}/${k.resource}` : `/apis/${k.apiVersion}/${k.resource}`;
}

/** The identity of an object within the view: kind, namespace ("" when cluster-scoped), name. */
export function objectKey(kind: string, namespace: string | undefined, name: string): string {
  return `${kind}/${namespace ?? ''}/${name}`;
}

export function keyOf(o: KubeObject): string {
  return objectKey(o.kind, 'namespace' in o ? o.namespace : '', o.name);
}

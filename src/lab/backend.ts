// Where the lab keeps the cluster objects. The files backend is a directory of manifests that
// every node's agent watches (the agent's files datastore); api-backend.ts is the real
// kube-apiserver of `lab up --apiserver`. Both answer the digest the agents will report once they
// have applied everything (the same decoding the agent uses, then viewDigest()).

import { mkdirSync } from 'node:fs';
import { viewDigest } from '../agent/cluster-store.js';
import type { KubeObject } from '../k8s/objects.js';
import { readManifestDir } from '../k8s/manifests-dir.js';
import { listObjects, refKey, refOf, removeObject, writeObject, type Doc, type DocRef } from './objects.js';
import { objectsDir } from './nodes.js';
import type { LabNode } from './state.js';

export interface Backend {
  /** The agent config's `datastore` section for a node. */
  datastore(node: LabNode): Promise<Record<string, unknown>>;
  /** Create or replace: what was stored (refKey) and why the rest was not. */
  put(docs: readonly Doc[]): Promise<{ applied: string[]; problems: string[] }>;
  /** True when it existed. */
  remove(ref: DocRef): Promise<boolean>;
  namespaces(): Promise<string[]>;
  inNamespace(namespace: string): Promise<DocRef[]>;
  /** Every object, decoded exactly as the agents decode them (for digest and prediction). */
  objects(): Promise<KubeObject[]>;
}

/** The digest every agent reports once it has applied all of the backend's objects. */
export async function backendDigest(b: Backend): Promise<string> {
  return viewDigest(await b.objects());
}

export function filesBackend(dir: string): Backend {
  const objects = objectsDir(dir);
  mkdirSync(objects, { recursive: true });
  return {
    datastore: () => Promise.resolve({ type: 'files', path: objects }),
    put(docs) {
      for (const d of docs) writeObject(objects, d);
      return Promise.resolve({ applied: docs.map((d) => refKey(refOf(d))), problems: [] });
    },
    remove: (ref) => Promise.resolve(removeObject(objects, ref)),
    namespaces: () => Promise.resolve(listObjects(objects).filter((d) => d['kind'] === 'Namespace').map((d) => refOf(d).name)),
    inNamespace: (ns) => Promise.resolve(listObjects(objects).map(refOf).filter((r) => r.namespace === ns)),
    objects: async () => (await readManifestDir(objects)).objects,
  };
}

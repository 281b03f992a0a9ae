// The one interface both datastores implement (Kubernetes informers, a directory of manifests):
// a stream of typed events about the objects the agent watches. Everything after the source —
// the view, routing, policy — is the same code whichever datastore feeds it.
//
// Contract:
// - Objects are decoded by the manifest decoders (manifests.ts), so a datastore never emits an
//   object the policy compiler or the routing planner would have to re-check. An object that fails
//   to decode is emitted as `invalid` (and removed from the view if an earlier version was good):
//   it is reported and skipped, and everything else keeps working. An object used only in part
//   (a NetworkPolicy with a rule dropped, fail closed) is an `upsert` that carries its `problem`.
// - `synced` is emitted for a kind once its first complete listing has been delivered; consumers
//   must not act on a kind (or, in the agent, on anything) before every kind is synced.
// - `replace` swaps the whole content (every kind) at once: the files datastore re-reads its
//   directory as one snapshot, so a file's removal deletes exactly the objects it held.

import type { WatchedKind } from './kinds.js';
import type { KubeObject } from './objects.js';

export interface ObjectProblem {
  readonly kind: string | undefined;
  readonly namespace: string | undefined;
  readonly name: string | undefined;
  /** Where it came from: "api" or a manifest file and document index. */
  readonly source: string;
  readonly reason: string;
}

export type DatastoreEvent =
  | { readonly type: 'upsert'; readonly object: KubeObject; readonly problem?: ObjectProblem }
  | { readonly type: 'delete'; readonly kind: WatchedKind; readonly key: string }
  | { readonly type: 'invalid'; readonly kind: WatchedKind; readonly key: string; readonly problem: ObjectProblem }
  | { readonly type: 'synced'; readonly kind: WatchedKind }
  | { readonly type: 'replace'; readonly objects: readonly KubeObject[]; readonly problems: readonly ObjectProblem[] };

export interface KindStatus {
  /** The first complete listing has been delivered. */
  readonly synced: boolean;
  /** The last list or watch succeeded (false while the source is unreachable). */
  readonly connected: boolean;
  readonly lists: number;
  readonly events: number;
  readonly errors: number;
  readonly lastError?: string;
  /** Epoch ms of the last event or successful list. */
  readonly lastContactAt?: number;
  readonly resourceVersion?: string;
}

export interface DatastoreStatus {
  readonly type: 'kubernetes' | 'files';
  readonly kinds: Readonly<Record<string, KindStatus>>;
}

export interface Datastore {
  readonly type: 'kubernetes' | 'files';
  /** Begin listing and watching; events go to `onEvent` from now until stop(). */
  start(onEvent: (e: DatastoreEvent) => void): void;
  status(): DatastoreStatus;
  stop(): Promise<void>;
}

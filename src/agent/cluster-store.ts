// The agent's one in-memory copy of the cluster: every object the datastore delivered, keyed by
// kind/namespace/name, plus the objects it could not use (or used only in part) and why. Applying
// an event says whether the content changed, so replays (a relist re-delivering what we have, a
// status update touching fields we do not read) cost nothing downstream. No I/O, no timers:
// view.ts schedules.

import { createHash } from 'node:crypto';
import type { DatastoreEvent, ObjectProblem } from '../k8s/datastore.js';
import { keyOf, type WatchedKind } from '../k8s/kinds.js';
import type { KubeObject } from '../k8s/objects.js';
import { assertNever } from '../errors.js';

export interface StoredProblem extends ObjectProblem {
  readonly key: string | undefined;
}

export class ClusterStore {
  private readonly objects = new Map<string, { object: KubeObject; text: string }>();
  private readonly invalid = new Map<string, StoredProblem>();
  private fileProblems: readonly StoredProblem[] = [];
  private readonly syncedKinds = new Set<WatchedKind>();
  /** Bumped on every change of content: a view with the same version is the same view. */
  version = 0;

  /** Apply one event; true when the objects (or problems) changed. */
  apply(e: DatastoreEvent): boolean {
    switch (e.type) {
      case 'upsert': {
        const key = keyOf(e.object);
        const text = JSON.stringify(e.object);
        const problem = e.problem === undefined ? undefined : { ...e.problem, key };
        const problemBefore = this.invalid.get(key);
        const sameProblem = JSON.stringify(problemBefore) === JSON.stringify(problem);
        if (problem === undefined) this.invalid.delete(key);
        else this.invalid.set(key, problem);
        if (this.objects.get(key)?.text === text && sameProblem) return false;
        this.objects.set(key, { object: e.object, text });
        return this.bump();
      }
      case 'delete': {
        const a = this.objects.delete(e.key);
        const b = this.invalid.delete(e.key);
        return a || b ? this.bump() : false;
      }
      case 'invalid': {
        // The new version is unusable: the object leaves the view (skipped, not half-used).
        this.objects.delete(e.key);
        this.invalid.set(e.key, { ...e.problem, key: e.key });
        return this.bump();
      }
      case 'synced':
        if (this.syncedKinds.has(e.kind)) return false;
        this.syncedKinds.add(e.kind);
        return this.bump();
      case 'replace': {
        const next = new Map(e.objects.map((o) => [keyOf(o), { object: o, text: JSON.stringify(o) }]));
        const problems = e.problems.map((p) => ({ ...p, key: undefined }));
        const same =
          next.size === this.objects.size &&
          [...next].every(([k, v]) => this.objects.get(k)?.text === v.text) &&
          JSON.stringify(problems) === JSON.stringify(this.fileProblems);
        if (same) return false;
        this.objects.clear();
        for (const [k, v] of next) this.objects.set(k, v);
        this.invalid.clear();
        this.fileProblems = problems;
        return this.bump();
      }
      default:
        return assertNever(e, 'datastore event');
    }
  }

  private bump(): true {
    this.version++;
    return true;
  }

  synced(kind: WatchedKind): boolean {
    return this.syncedKinds.has(kind);
  }

  /** Every object, in key order, so equal stores give equal lists. */
  list(): KubeObject[] {
    return [...this.objects.keys()].sort().map((k) => (this.objects.get(k) as { object: KubeObject }).object);
  }

  problems(): StoredProblem[] {
    return [...this.fileProblems, ...[...this.invalid.values()].sort((a, b) => ((a.key ?? '') < (b.key ?? '') ? -1 : 1))];
  }

  count(): number {
    return this.objects.size;
  }

  /** viewDigest() of the objects held, from the texts already computed. */
  digest(): string {
    return digestTexts([...this.objects.values()].map((v) => v.text));
  }
}

function digestTexts(texts: string[]): string {
  const h = createHash('sha256');
  for (const t of texts.sort()) h.update(t).update('\n');
  return h.digest('hex').slice(0, 16);
}

/**
 * A short fingerprint of a set of decoded objects, independent of order. The agent reports the
 * digest of the view it last applied; a tool that decodes the same sources the same way (`meridian
 * lab` after an apply) computes the digest it expects and waits until every agent reports it.
 */
export function viewDigest(objects: readonly KubeObject[]): string {
  return digestTexts(objects.map((o) => JSON.stringify(o)));
}

// What changed between two models, by object: the incremental compiler (incremental.ts) reworks
// only what depends on a changed object. Objects carry no resourceVersion in PolicyModel, so an
// object counts as changed when it is a different reference with different content (sameValue):
// a watcher that hands over the same references costs one Map lookup per object, and one that
// rebuilds objects costs a structural compare, never a wrong "unchanged".

import type { Namespace, NetworkPolicy, Pod } from '../k8s/objects.js';
import { podKey, type PolicyModel } from './model.js';

type Labels = Readonly<Record<string, string>>;

/** Structural equality of plain data (objects, arrays, primitives), as parsed API objects are. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const rb = b as Record<string, unknown>;
  const ra = a as Record<string, unknown>;
  return ka.every((k) => Object.hasOwn(rb, k) && sameValue(ra[k], rb[k]));
}

export interface ModelIndex {
  readonly pods: ReadonlyMap<string, Pod>;
  /** Pods by namespace, each in model order. */
  readonly podsByNs: ReadonlyMap<string, readonly Pod[]>;
  readonly namespaces: ReadonlyMap<string, Namespace>;
  readonly policies: ReadonlyMap<string, NetworkPolicy>;
  /** Policies by namespace, each in name order (the model's order). */
  readonly policiesByNs: ReadonlyMap<string, readonly NetworkPolicy[]>;
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list === undefined) m.set(k, [v]);
  else list.push(v);
}

export function indexModel(model: PolicyModel): ModelIndex {
  const pods = new Map<string, Pod>();
  const podsByNs = new Map<string, Pod[]>();
  for (const p of model.pods) {
    pods.set(podKey(p), p);
    push(podsByNs, p.namespace, p);
  }
  const policies = new Map<string, NetworkPolicy>();
  const policiesByNs = new Map<string, NetworkPolicy[]>();
  for (const p of model.policies) {
    policies.set(podKey(p), p);
    push(policiesByNs, p.namespace, p);
  }
  return { pods, podsByNs, namespaces: new Map(model.namespaces.map((n) => [n.name, n])), policies, policiesByNs };
}

/** Labels of a namespace; one without an object still has the label the API server always sets. */
export function labelsOf(index: ModelIndex, ns: string): Labels {
  return index.namespaces.get(ns)?.labels ?? { 'kubernetes.io/metadata.name': ns };
}

export interface ModelDiff {
  /** Pods added, removed or changed ("ns/name"). */
  readonly pods: ReadonlySet<string>;
  /** Namespaces whose labels changed (an object appearing or going counts when labels differ). */
  readonly nsLabels: ReadonlySet<string>;
  /** Policies added, removed or changed ("ns/name"). */
  readonly policies: ReadonlySet<string>;
  /** Namespaces holding one of those policies: their pods' selecting lists may change. */
  readonly policyNamespaces: ReadonlySet<string>;
}

function changedKeys<T>(prev: ReadonlyMap<string, T>, next: ReadonlyMap<string, T>): Set<string> {
  const out = new Set<string>();
  for (const [k, v] of next) {
    const was = prev.get(k);
    if (was === undefined || !sameValue(was, v)) out.add(k);
  }
  for (const k of prev.keys()) if (!next.has(k)) out.add(k);
  return out;
}

export function diffModels(prev: ModelIndex, next: ModelIndex): ModelDiff {
  const pods = changedKeys(prev.pods, next.pods);
  const policies = changedKeys(prev.policies, next.policies);
  const nsLabels = new Set<string>();
  for (const ns of new Set([...prev.namespaces.keys(), ...next.namespaces.keys()])) {
    if (!sameValue(labelsOf(prev, ns), labelsOf(next, ns))) nsLabels.add(ns);
  }
  const policyNamespaces = new Set([...policies].map((k) => k.slice(0, k.indexOf('/'))));
  return { pods, nsLabels, policies, policyNamespaces };
}

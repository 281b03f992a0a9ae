// Label selectors (metav1.LabelSelector) as the API defines them: every matchLabels pair and every
// requirement must hold. NotIn also matches objects without the key, as in labels.Selector.

import type { LabelSelector, LabelSelectorRequirement } from '../k8s/objects.js';
import { assertNever } from '../errors.js';

type Labels = Readonly<Record<string, string>>;

function requirementMatches(r: LabelSelectorRequirement, labels: Labels): boolean {
  const has = Object.hasOwn(labels, r.key);
  const value = labels[r.key];
  switch (r.operator) {
    case 'In':
      return has && value !== undefined && r.values.includes(value);
    case 'NotIn':
      return !has || value === undefined || !r.values.includes(value);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    default:
      return assertNever(r.operator, 'selector operator');
  }
}

export function selectorMatches(sel: LabelSelector, labels: Labels): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels)) if (labels[k] !== v) return false;
  return sel.matchExpressions.every((r) => requirementMatches(r, labels));
}

export function isEmptySelector(sel: LabelSelector): boolean {
  return Object.keys(sel.matchLabels).length === 0 && sel.matchExpressions.length === 0;
}

/** A canonical text of a selector: equal selectors (in any key order) give equal text. */
export function canonicalSelector(sel: LabelSelector): string {
  const labels = Object.entries(sel.matchLabels)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`);
  const exprs = sel.matchExpressions
    .map((r) => `${r.key} ${r.operator} (${[...new Set(r.values)].sort().join(',')})`)
    .sort();
  return [...labels, ...exprs].join('&');
}

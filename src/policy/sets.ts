// The sets of one full compile: a spec (set-specs.ts) is resolved the first time a policy chain
// refers to it, by folding in every actionable pod. Sets for selector peers exist even when empty:
// the rule that uses them is then already in place when the first matching pod appears, and that
// pod is an ipset-only change. Names come from the spec's contents, so equal peers share a set.

import type { Pod } from '../k8s/objects.js';
import type { IpSet } from './ir.js';
import { isActionable, type PolicyModel } from './model.js';
import { ipSetOf, namespaceMayMatch, podEntries, type SetSpec } from './set-specs.js';

export class SetRegistry {
  private readonly sets = new Map<string, IpSet>();
  /** Actionable pods by namespace, so a selector scoped to one namespace scans only its pods. */
  private readonly podsByNs = new Map<string, Pod[]>();
  private readonly nsLabels: (ns: string) => Readonly<Record<string, string>>;

  constructor(model: PolicyModel, nsLabels: (ns: string) => Readonly<Record<string, string>>) {
    for (const p of model.pods) {
      if (!isActionable(p)) continue;
      const list = this.podsByNs.get(p.namespace);
      if (list === undefined) this.podsByNs.set(p.namespace, [p]);
      else list.push(p);
    }
    this.nsLabels = nsLabels;
  }

  all(): IpSet[] {
    return [...this.sets.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Make sure the set exists (filled); returns its name. */
  resolve(spec: SetSpec): string {
    if (this.sets.has(spec.name)) return spec.name;
    const entries = new Set<string>();
    for (const [ns, pods] of this.podsByNs) {
      const labels = this.nsLabels(ns);
      if (!namespaceMayMatch(spec, ns, labels)) continue;
      for (const p of pods) for (const e of podEntries(spec, p, labels)) entries.add(e);
    }
    this.sets.set(spec.name, ipSetOf(spec, entries));
    return spec.name;
  }
}

// src/policy: NetworkPolicy (networking.k8s.io/v1) for one node, as ipsets and iptables chains.
//
//   model.ts     the input: namespaces, pods, policies (validated API objects from src/k8s)
//   compile.ts   model + node name -> IR (ir.ts): pure, deterministic; the reference
//   incremental.ts  the same IR, reworking only what changed since the last model (chains.ts and
//                set-specs.ts hold the pieces both build from)
//   render-*.ts  IR -> `ipset restore` / `iptables-restore` text: pure, byte-identical for equal IR
//   evaluate.ts  trace a packet through the IR (explain.ts, matrix.ts build on it)
//   plan.ts      IR x what the kernel holds (ours only) -> the batches that converge it: pure
//   plan-delta.ts  last applied IR x next IR -> the same batches, without reading the kernel
//   writer.ts    observe + apply those batches through src/net: the only I/O here
//   syncer.ts    PolicySyncer: coalesced updates, periodic resync with read-back
//
// Invariants: nothing here execs or reads files except writer.ts, through a Runner it is given;
// kernel names come from names.ts only; a pod counts for policy only when it is "actionable"
// (has an IP, is not host-network, has not terminated), as upstream implementations do.

import type { KubeObject, Namespace, NetworkPolicy, Pod, PolicyType } from '../k8s/objects.js';

export interface PolicyModel {
  readonly namespaces: readonly Namespace[];
  readonly pods: readonly Pod[];
  readonly policies: readonly NetworkPolicy[];
}

export function modelFromObjects(objects: readonly KubeObject[]): PolicyModel {
  const key = (o: { namespace?: string; name: string }): string => `${o.namespace ?? ''}/${o.name}`;
  const byKey = <T extends { namespace?: string; name: string }>(a: T, b: T): number => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
  return {
    namespaces: objects.filter((o): o is Namespace => o.kind === 'Namespace').sort(byKey),
    pods: objects.filter((o): o is Pod => o.kind === 'Pod').sort(byKey),
    policies: objects.filter((o): o is NetworkPolicy => o.kind === 'NetworkPolicy').sort(byKey),
  };
}

/**
 * policyTypes as the API server defaults them (SetDefaults_NetworkPolicy): Ingress always, plus
 * Egress when the policy has at least one egress rule. `egress: []` therefore does not isolate.
 */
export function effectivePolicyTypes(p: NetworkPolicy): readonly PolicyType[] {
  if (p.policyTypes !== undefined && p.policyTypes.length > 0) return p.policyTypes;
  return p.egress.length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
}

/** Does policy traffic treat this pod as an endpoint? (kube-router calls it "actionable".) */
export function isActionable(p: Pod): boolean {
  return !p.hostNetwork && p.podIPs.length > 0 && p.phase !== 'Succeeded' && p.phase !== 'Failed';
}

export function podKey(p: { namespace: string; name: string }): string {
  return `${p.namespace}/${p.name}`;
}

/** Labels of a namespace; one without an object still has the label the API server always sets. */
export function namespaceLabels(model: PolicyModel): (ns: string) => Readonly<Record<string, string>> {
  const m = new Map(model.namespaces.map((n) => [n.name, n.labels]));
  return (ns) => m.get(ns) ?? { 'kubernetes.io/metadata.name': ns };
}

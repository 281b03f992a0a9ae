// A synthetic cluster for the policy bench: N namespaces x M pods, K policies per namespace of the
// shapes real clusters have (default deny, app-to-app with a namespace selector and a named port,
// namespace-wide allows, egress with an ipBlock except, matchExpressions, endPort ranges).

import type { KubeObject, NetworkPolicy, Pod } from '../../src/k8s/objects.js';
import { modelFromObjects, type PolicyModel } from '../../src/policy/model.js';

export interface SyntheticOptions {
  readonly namespaces: number;
  readonly podsPerNamespace: number;
  readonly policiesPerNamespace: number;
  /** Pods are spread round-robin over this many nodes; the bench node is "node-0". */
  readonly nodes: number;
}

const sel = (matchLabels: Record<string, string> = {}) => ({ matchLabels, matchExpressions: [] });

export function syntheticPod(ns: number, j: number, opts: SyntheticOptions, labels?: Record<string, string>): Pod {
  return {
    kind: 'Pod',
    namespace: `ns-${ns}`,
    name: `p-${j}`,
    labels: labels ?? { app: `app-${j % 10}`, role: j % 3 === 0 ? 'client' : 'server' },
    nodeName: `node-${(ns * opts.podsPerNamespace + j) % opts.nodes}`,
    hostNetwork: false,
    podIPs: [`10.${100 + (ns >> 8)}.${ns & 255}.${j + 1}`],
    ports: [
      { name: 'http', containerPort: 8080 + (j % 2), protocol: 'TCP' },
      { name: 'metrics', containerPort: 9090, protocol: 'TCP' },
    ],
    phase: 'Running',
  };
}

function policy(ns: number, k: number): NetworkPolicy {
  const base = { kind: 'NetworkPolicy' as const, namespace: `ns-${ns}`, name: `np-${k}`, policyTypes: undefined, egress: [] };
  switch (k % 10) {
    case 0:
      return { ...base, podSelector: sel(), ingress: [] };
    case 7:
      return { ...base, podSelector: sel(), ingress: [{ peers: [{ namespaceSelector: sel({ team: `t${ns % 10}` }) }], ports: [{ protocol: 'TCP', port: 9090 }] }] };
    case 8:
      return {
        ...base,
        podSelector: sel({ app: 'app-8' }),
        policyTypes: ['Egress'],
        ingress: [],
        egress: [
          { peers: [{ ipBlock: { cidr: '10.100.0.0/16', except: [`10.100.${ns & 255}.0/24`] } }], ports: [] },
          { peers: [{ namespaceSelector: sel() }], ports: [{ protocol: 'UDP', port: 53 }] },
        ],
      };
    case 9:
      return {
        ...base,
        podSelector: sel({ app: 'app-9' }),
        ingress: [{ peers: [{ podSelector: { matchLabels: {}, matchExpressions: [{ key: 'app', operator: 'In', values: ['app-1', 'app-2'] }] } }], ports: [{ protocol: 'TCP', port: 8080, endPort: 8081 }] }],
      };
    default:
      return {
        ...base,
        podSelector: sel({ app: `app-${k % 10}` }),
        ingress: [{ peers: [{ podSelector: sel({ role: 'client' }), namespaceSelector: sel({ team: `t${(ns + k) % 10}` }) }], ports: [{ protocol: 'TCP', port: 'http' }] }],
      };
  }
}

export function syntheticObjects(opts: SyntheticOptions): KubeObject[] {
  const objs: KubeObject[] = [];
  for (let i = 0; i < opts.namespaces; i++) {
    objs.push({ kind: 'Namespace', name: `ns-${i}`, labels: { 'kubernetes.io/metadata.name': `ns-${i}`, team: `t${i % 10}` } });
    for (let j = 0; j < opts.podsPerNamespace; j++) objs.push(syntheticPod(i, j, opts));
    for (let k = 0; k < opts.policiesPerNamespace; k++) objs.push(policy(i, k));
  }
  return objs;
}

export function syntheticModel(opts: SyntheticOptions): PolicyModel {
  return modelFromObjects(syntheticObjects(opts));
}

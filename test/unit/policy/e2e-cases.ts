// The upstream NetworkPolicy e2e cases (test/e2e/network/netpol/network_policy.go) as data: each
// case is a set of policies over the x,y,z x a,b,c model and the expected truth table per
// "PROTO/port". truth-tables.test.ts checks the offline prediction against them;
// test/netns/policy-conformance.test.ts applies them to a real kernel and probes.

import { podIp, type PodOverride, type Reachability } from './e2e-model.js';

export interface Case {
  readonly name: string;
  readonly policies: string;
  /** Expected table per "PROTO/port". Ports and protocols not listed are not checked. */
  readonly expect: Record<string, (r: Reachability) => Reachability>;
  readonly podOverrides?: Record<string, PodOverride>;
  readonly nsLabels?: Record<string, Record<string, string>>;
  /**
   * The address family the tables hold (pods are dual-stack where both are probed). A case with
   * ipBlocks of one family has tables for that family only: its blocks match nothing in the other.
   */
  readonly family?: 4 | 6;
}

export const np = (ns: string, name: string, spec: string): string =>
  `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {namespace: ${ns}, name: ${name}}\nspec:\n${spec
    .trim()
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n')}\n---\n`;

const same = (r: Reachability): Reachability => r;

export const CASES: Case[] = [
  {
    name: "default-deny-ingress",
    policies: np('x', 'deny-ingress', 'podSelector: {}'),
    expect: { 'TCP/80': (r) => r.expectPeer({}, { ns: 'x' }, false), 'UDP/81': (r) => r.expectPeer({}, { ns: 'x' }, false) },
  },
  {
    name: 'default-deny-all (ingress and egress)',
    policies: np('x', 'deny-all', 'podSelector: {}\npolicyTypes: [Ingress, Egress]'),
    expect: { 'TCP/80': (r) => r.expectPeer({}, { ns: 'x' }, false).expectPeer({ ns: 'x' }, {}, false) },
  },
  {
    name: 'allow from pods within the server namespace by podSelector',
    policies: np('x', 'x-a-allows-x-b', 'podSelector: {matchLabels: {pod: a}}\ningress:\n- from:\n  - podSelector: {matchLabels: {pod: b}}'),
    expect: { 'TCP/80': (r) => r.expectAllIngress('x/a', false).expect('x/b', 'x/a', true), 'TCP/81': (r) => r.expectAllIngress('x/a', false).expect('x/b', 'x/a', true) },
  },
  {
    name: 'deny-all plus allow-all-to-a (empty podSelector and namespaceSelector in one peer)',
    policies:
      np('x', 'deny-all', 'podSelector: {}\ningress: []') +
      np('x', 'allow-all-to-a', 'podSelector: {matchLabels: {pod: a}}\ningress:\n- from:\n  - podSelector: {}\n    namespaceSelector: {}'),
    expect: { 'TCP/80': (r) => r.expectPeer({}, { ns: 'x' }, false).expectAllIngress('x/a', true) },
  },
  {
    name: 'allow ingress from pods in all namespaces (empty namespaceSelector)',
    policies: np('x', 'allow-from-another-ns', 'podSelector: {matchLabels: {pod: a}}\ningress:\n- from:\n  - namespaceSelector: {matchLabels: {}}'),
    expect: { 'TCP/80': same },
  },
  {
    name: 'allow only from a different namespace by namespaceSelector',
    policies: np('x', 'allow-y', 'podSelector: {matchLabels: {pod: a}}\ningress:\n- from:\n  - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: y}}'),
    expect: { 'TCP/80': (r) => r.expectPeer({ ns: 'x' }, { ns: 'x', pod: 'a' }, false).expectPeer({ ns: 'z' }, { ns: 'x', pod: 'a' }, false) },
  },
  {
    name: 'podSelector with matchExpressions (In)',
    policies: np('x', 'x-a-allows-x-b', 'podSelector: {matchLabels: {pod: a}}\ningress:\n- from:\n  - podSelector: {matchExpressions: [{key: pod, operator: In, values: [b]}]}'),
    expect: { 'TCP/80': (r) => r.expectAllIngress('x/a', false).expect('x/b', 'x/a', true) },
  },
  {
    name: 'namespaceSelector with matchExpressions (In)',
    policies: np('x', 'allow-ns-y', 'podSelector: {matchLabels: {pod: a}}\ningress:\n- from:\n  - namespaceSelector: {matchExpressions: [{key: ns, operator: In, values: [y]}]}'),
    expect: { 'TCP/80': (r) => r.expectPeer({ ns: 'x' }, { ns: 'x', pod: 'a' }, false).expectPeer({ ns: 'z' }, { ns: 'x', pod: 'a' }, false) },
  },
  {
    name: 'PodSelector OR NamespaceSelector (separate peers)',
    policies: np(
      'x',
      'or',
      'podSelector: {matchLabels: {pod: a}}\ningress:\n- from:\n  - namespaceSelector: {matchExpressions: [{key: ns, operator: NotIn, values: [x]}]}\n  - podSelector: {matchLabels: {pod: b}}',
    ),
    expect: { 'TCP/80': (r) => r.expect('x/c', 'x/a', false) },
  },
  {
    name: 'PodSelector AND NamespaceSelector (one peer)',
    policies: np(
      'x',
      'and',
      'podSelector: {matchLabels: {pod: a}}\ningress:\n- from:\n  - namespaceSelector: {matchExpressions: [{key: ns, operator: NotIn, values: [x]}]}\n    podSelector: {matchLabels: {pod: b}}',
    ),
    expect: { 'TCP/80': (r) => r.expectAllIngress('x/a', false).expect('y/b', 'x/a', true).expect('z/b', 'x/a', true) },
  },
  {
    name: 'multiple podSelectors and namespaceSelectors (In b,c AND NotIn x)',
    policies: np(
      'x',
      'multi',
      'podSelector: {matchLabels: {pod: a}}\ningress:\n- from:\n  - namespaceSelector: {matchExpressions: [{key: ns, operator: NotIn, values: [x]}]}\n    podSelector: {matchExpressions: [{key: pod, operator: In, values: [b, c]}]}',
    ),
    expect: { 'TCP/80': (r) => r.expectPeer({ ns: 'x' }, { ns: 'x', pod: 'a' }, false).expect('y/a', 'x/a', false).expect('z/a', 'x/a', false) },
  },
  {
    name: 'Exists and DoesNotExist',
    policies: np(
      'x',
      'exists',
      'podSelector: {matchExpressions: [{key: pod, operator: Exists}, {key: tier, operator: DoesNotExist}]}\ningress:\n- from:\n  - podSelector: {matchExpressions: [{key: extra, operator: Exists}]}',
    ),
    podOverrides: { 'x/c': { labels: { pod: 'c', tier: 'web' } }, 'x/b': { labels: { pod: 'b', extra: '1' } } },
    expect: { 'TCP/80': (r) => r.expectAllIngress('x/a', false).expectAllIngress('x/b', false).expect('x/b', 'x/a', true) },
  },
  {
    name: 'ports: only namespace y on TCP 81',
    policies: np('x', 'allow-81', 'podSelector: {matchLabels: {pod: a}}\ningress:\n- from:\n  - namespaceSelector: {matchLabels: {ns: y}}\n  ports:\n  - {port: 81, protocol: TCP}'),
    expect: {
      'TCP/81': (r) => r.expectPeer({ ns: 'x' }, { ns: 'x', pod: 'a' }, false).expectPeer({ ns: 'z' }, { ns: 'x', pod: 'a' }, false),
      'TCP/80': (r) => r.expectAllIngress('x/a', false),
      'UDP/81': (r) => r.expectAllIngress('x/a', false),
    },
  },
  {
    name: 'multiple stacked policies with overlapping podSelectors (union)',
    policies:
      np('x', 'allow-81', 'podSelector: {matchLabels: {pod: a}}\ningress:\n- from:\n  - namespaceSelector: {matchLabels: {ns: y}}\n  ports:\n  - {port: 81, protocol: TCP}') +
      np('x', 'allow-80', 'podSelector: {matchLabels: {pod: a}}\ningress:\n- from:\n  - namespaceSelector: {matchLabels: {ns: y}}\n  ports:\n  - {port: 80, protocol: TCP}'),
    expect: {
      'TCP/80': (r) => r.expectPeer({ ns: 'x' }, { ns: 'x', pod: 'a' }, false).expectPeer({ ns: 'z' }, { ns: 'x', pod: 'a' }, false),
      'TCP/81': (r) => r.expectPeer({ ns: 'x' }, { ns: 'x', pod: 'a' }, false).expectPeer({ ns: 'z' }, { ns: 'x', pod: 'a' }, false),
    },
  },
  {
    name: 'allow-all policy (one empty ingress rule)',
    policies: np('x', 'allow-all', 'podSelector: {}\ningress:\n- {}'),
    expect: { 'TCP/80': same, 'UDP/81': same },
  },
  {
    name: 'ingress on one named port',
    policies: np('x', 'allow-81-named', 'podSelector: {}\ningress:\n- ports:\n  - port: serve-81-tcp'),
    expect: { 'TCP/81': same, 'TCP/80': (r) => r.expectPeer({}, { ns: 'x' }, false), 'UDP/81': (r) => r.expectPeer({}, { ns: 'x' }, false) },
  },
  {
    name: 'ingress from a namespace on one named port',
    policies: np('x', 'named-from-y', 'podSelector: {matchLabels: {pod: a}}\ningress:\n- from:\n  - namespaceSelector: {matchLabels: {ns: y}}\n  ports:\n  - {port: serve-80-tcp, protocol: TCP}'),
    expect: {
      'TCP/80': (r) => r.expectPeer({ ns: 'x' }, { ns: 'x', pod: 'a' }, false).expectPeer({ ns: 'z' }, { ns: 'x', pod: 'a' }, false),
      'TCP/81': (r) => r.expectAllIngress('x/a', false),
    },
  },
  {
    name: 'egress on one named port (resolved on each destination pod)',
    policies: np('x', 'allow-egress', 'podSelector: {}\negress:\n- ports:\n  - port: serve-80-tcp'),
    expect: { 'TCP/80': (r) => r.expectPeer({ ns: 'x' }, {}, true).expectPeer({}, { ns: 'x' }, false), 'TCP/81': (r) => r.expectPeer({ ns: 'x' }, {}, false).expectPeer({}, { ns: 'x' }, false) },
  },
  {
    name: 'a named port that maps to different numbers on different pods',
    policies: np('x', 'web', 'podSelector: {}\ningress:\n- ports:\n  - port: web'),
    podOverrides: {
      'x/a': { ports: [{ name: 'web', containerPort: 80, protocol: 'TCP' }] },
      'x/b': { ports: [{ name: 'web', containerPort: 81, protocol: 'TCP' }] },
      'x/c': { ports: [{ name: 'web', containerPort: 81, protocol: 'UDP' }] },
    },
    expect: {
      'TCP/80': (r) => r.expectAllIngress('x/b', false).expectAllIngress('x/c', false),
      'TCP/81': (r) => r.expectAllIngress('x/a', false).expectAllIngress('x/c', false),
      'UDP/81': (r) => r.expectPeer({}, { ns: 'x' }, false),
    },
  },
  {
    name: 'endPort range',
    policies: np('x', 'range', 'podSelector: {matchLabels: {pod: a}}\ningress:\n- ports:\n  - {port: 81, endPort: 90, protocol: TCP}'),
    expect: { 'TCP/80': (r) => r.expectAllIngress('x/a', false), 'TCP/81': same, 'UDP/81': (r) => r.expectAllIngress('x/a', false) },
  },
  {
    // No policyTypes and an egress rule: Ingress is inferred too, so x/a is also ingress-isolated.
    name: 'endPort range covering both ports, egress',
    policies: np('x', 'range', 'podSelector: {matchLabels: {pod: a}}\negress:\n- ports:\n  - {port: 79, endPort: 81}'),
    expect: {
      'TCP/80': (r) => r.expectAllIngress('x/a', false),
      'TCP/81': (r) => r.expectAllIngress('x/a', false),
      'UDP/80': (r) => r.expectAllEgress('x/a', false).expectAllIngress('x/a', false),
    },
  },
  {
    name: 'egress to a server in a CIDR block',
    policies: np('x', 'cidr', `podSelector: {matchLabels: {pod: a}}\npolicyTypes: [Egress]\negress:\n- to:\n  - ipBlock: {cidr: ${podIp('y', 'b')}/32}`),
    expect: { 'TCP/80': (r) => r.expectAllEgress('x/a', false).expect('x/a', 'y/b', true) },
  },
  {
    name: 'egress ipBlock with except',
    policies: np('x', 'except', `podSelector: {matchLabels: {pod: a}}\npolicyTypes: [Egress]\negress:\n- to:\n  - ipBlock: {cidr: 10.244.0.0/16, except: [${podIp('y', 'b')}/32]}`),
    expect: { 'TCP/80': (r) => r.expect('x/a', 'y/b', false) },
  },
  {
    name: 'an IP in one policy except and another policy CIDR is allowed (union)',
    policies:
      np('x', 'except', `podSelector: {matchLabels: {pod: a}}\npolicyTypes: [Egress]\negress:\n- to:\n  - ipBlock: {cidr: 10.244.0.0/16, except: [10.244.2.0/24]}`) +
      np('x', 'allow-yb', `podSelector: {matchLabels: {pod: a}}\npolicyTypes: [Egress]\negress:\n- to:\n  - ipBlock: {cidr: ${podIp('y', 'b')}/32}`),
    expect: { 'TCP/80': (r) => r.expect('x/a', 'y/a', false).expect('x/a', 'y/c', false) },
  },
  {
    name: 'two ipBlocks in one rule: one block\'s except does not hide the other block',
    policies: np(
      'x',
      'blocks',
      'podSelector: {matchLabels: {pod: a}}\npolicyTypes: [Egress]\negress:\n- to:\n  - ipBlock: {cidr: 10.244.0.0/16, except: [10.244.2.0/24]}\n  - ipBlock: {cidr: 10.244.0.0/22}',
    ),
    expect: { 'TCP/80': same },
  },
  {
    name: 'ingress ipBlock 0.0.0.0/0 except a namespace range',
    policies: np('x', 'all-but-z', 'podSelector: {matchLabels: {pod: a}}\ningress:\n- from:\n  - ipBlock: {cidr: 0.0.0.0/0, except: [10.244.3.0/24]}'),
    expect: { 'TCP/80': (r) => r.expectPeer({ ns: 'z' }, { ns: 'x', pod: 'a' }, false) },
  },
  {
    name: 'IPv6: egress ipBlock with except',
    family: 6,
    policies: np('x', 'except6', `podSelector: {matchLabels: {pod: a}}\npolicyTypes: [Egress]\negress:\n- to:\n  - ipBlock: {cidr: "fd00:10:244::/48", except: ["${podIp('y', 'b', 6)}/128"]}`),
    expect: { 'TCP/80': (r) => r.expect('x/a', 'y/b', false), 'UDP/81': (r) => r.expect('x/a', 'y/b', false) },
  },
  {
    name: 'IPv6: ingress ipBlock ::/0 except a namespace range',
    family: 6,
    policies: np('x', 'all-but-z6', `podSelector: {matchLabels: {pod: a}}\ningress:\n- from:\n  - ipBlock: {cidr: "::/0", except: ["${podIp('z', 'a', 6).replace(/::\d+$/, '::')}/64"]}`),
    expect: { 'TCP/80': (r) => r.expectPeer({ ns: 'z' }, { ns: 'x', pod: 'a' }, false) },
  },
  {
    name: 'an empty podSelector peer means every pod of the policy\'s own namespace only',
    policies: np('x', 'own-ns', 'podSelector: {matchLabels: {pod: a}}\ningress:\n- from:\n  - podSelector: {}'),
    expect: { 'TCP/80': (r) => r.expectAllIngress('x/a', false).expect('x/b', 'x/a', true).expect('x/c', 'x/a', true), 'UDP/81': (r) => r.expectAllIngress('x/a', false).expect('x/b', 'x/a', true).expect('x/c', 'x/a', true) },
  },
  {
    name: 'egress deny-all with a DNS-like allow (UDP 53) only',
    policies: np('x', 'dns-only', 'podSelector: {}\npolicyTypes: [Egress]\negress:\n- ports:\n  - {port: 53, protocol: UDP}\n  - {port: 53, protocol: TCP}'),
    expect: { 'TCP/80': (r) => r.expectPeer({ ns: 'x' }, {}, false), 'UDP/81': (r) => r.expectPeer({ ns: 'x' }, {}, false), 'UDP/53': same },
  },
  {
    name: 'any port on a specific protocol (UDP without port)',
    policies: np('x', 'udp-any', 'podSelector: {matchLabels: {pod: a}}\ningress:\n- ports:\n  - protocol: UDP'),
    expect: { 'TCP/80': (r) => r.expectAllIngress('x/a', false), 'UDP/80': same, 'UDP/81': same },
  },
  {
    name: 'SCTP is not TCP',
    policies: np('x', 'sctp', 'podSelector: {matchLabels: {pod: a}}\ningress:\n- ports:\n  - {port: 80, protocol: SCTP}'),
    expect: { 'TCP/80': (r) => r.expectAllIngress('x/a', false), 'SCTP/80': same, 'SCTP/81': (r) => r.expectAllIngress('x/a', false) },
  },
  {
    name: 'policyTypes inferred: egress rules make it Ingress+Egress',
    policies: np('x', 'inferred', 'podSelector: {matchLabels: {pod: a}}\negress:\n- to:\n  - podSelector: {matchLabels: {pod: b}}'),
    expect: { 'TCP/80': (r) => r.expectAllIngress('x/a', false).expectAllEgress('x/a', false).expect('x/a', 'x/b', true) },
  },
  {
    name: 'policyTypes inferred: an empty egress list isolates only ingress',
    policies: np('x', 'inferred', 'podSelector: {matchLabels: {pod: a}}\negress: []'),
    expect: { 'TCP/80': (r) => r.expectAllIngress('x/a', false) },
  },
  {
    name: 'explicit policyTypes [Egress] ignores ingress rules and leaves ingress open',
    policies: np('x', 'egress-only', 'podSelector: {matchLabels: {pod: a}}\npolicyTypes: [Egress]\ningress:\n- from:\n  - podSelector: {matchLabels: {pod: b}}'),
    expect: { 'TCP/80': (r) => r.expectAllEgress('x/a', false) },
  },
  {
    name: 'client-side egress deny wins over a server that allows',
    policies:
      np('x', 'deny-egress-a', 'podSelector: {matchLabels: {pod: a}}\npolicyTypes: [Egress]') +
      np('y', 'allow-all', 'podSelector: {}\ningress:\n- {}'),
    expect: { 'TCP/80': (r) => r.expectAllEgress('x/a', false) },
  },
  {
    name: 'ingress and egress together, controlled independently',
    policies: np(
      'x',
      'both',
      'podSelector: {matchLabels: {pod: a}}\npolicyTypes: [Ingress, Egress]\ningress:\n- from:\n  - namespaceSelector: {matchLabels: {ns: y}}\negress:\n- to:\n  - namespaceSelector: {matchLabels: {ns: z}}\n  ports:\n  - port: 80',
    ),
    expect: {
      'TCP/80': (r) => r.expectAllIngress('x/a', false).expectPeer({ ns: 'y' }, { ns: 'x', pod: 'a' }, true).expectAllEgress('x/a', false).expectPeer({ ns: 'x', pod: 'a' }, { ns: 'z' }, true),
      'TCP/81': (r) => r.expectAllIngress('x/a', false).expectPeer({ ns: 'y' }, { ns: 'x', pod: 'a' }, true).expectAllEgress('x/a', false),
    },
  },
  {
    name: 'egress to a pod in a specific namespace (podSelector AND namespaceSelector)',
    policies: np('x', 'to-yb', 'podSelector: {matchLabels: {pod: a}}\npolicyTypes: [Egress]\negress:\n- to:\n  - namespaceSelector: {matchLabels: {ns: y}}\n    podSelector: {matchLabels: {pod: b}}'),
    expect: { 'TCP/80': (r) => r.expectAllEgress('x/a', false).expect('x/a', 'y/b', true) },
  },
  {
    name: 'egress allow-all policy takes precedence over a restrictive one',
    policies:
      np('x', 'restrict', 'podSelector: {matchLabels: {pod: a}}\npolicyTypes: [Egress]\negress:\n- to:\n  - podSelector: {matchLabels: {pod: b}}') +
      np('x', 'allow-all-egress', 'podSelector: {matchLabels: {pod: a}}\npolicyTypes: [Egress]\negress:\n- {}'),
    expect: { 'TCP/80': same },
  },
  {
    name: 'ports but no peers; peers but no ports; empty from list',
    policies:
      np('x', 'port-only', 'podSelector: {matchLabels: {pod: a}}\ningress:\n- ports: [{port: 81}]') +
      np('x', 'peer-only', 'podSelector: {matchLabels: {pod: a}}\ningress:\n- from: [{podSelector: {matchLabels: {pod: b}}}]') +
      np('y', 'empty-from', 'podSelector: {matchLabels: {pod: a}}\ningress:\n- from: []\n  ports: [{port: 80}]'),
    expect: {
      'TCP/80': (r) => r.expectAllIngress('x/a', false).expect('x/b', 'x/a', true),
      'TCP/81': (r) => r.expectAllIngress('y/a', false),
    },
  },
  {
    name: 'namespaces selected by a label changed from the default (relabelled namespace)',
    policies: np('x', 'team', 'podSelector: {}\ningress:\n- from:\n  - namespaceSelector: {matchLabels: {team: blue}}'),
    nsLabels: { z: { team: 'blue' } },
    expect: { 'TCP/80': (r) => r.expectPeer({}, { ns: 'x' }, false).expectPeer({ ns: 'z' }, { ns: 'x' }, true) },
  },
  {
    name: 'a policy in another namespace does not select pods of this one',
    policies: np('y', 'deny-y', 'podSelector: {matchLabels: {pod: a}}'),
    expect: { 'TCP/80': (r) => r.expectAllIngress('y/a', false) },
  },
];

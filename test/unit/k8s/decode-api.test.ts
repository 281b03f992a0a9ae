// API objects go through the manifest decoders: list items carry no kind, the caller names it;
// what the API server accepts but we refuse to guess about (leading-zero IPv4) is a reason; in a
// NetworkPolicy, the rule that holds it is dropped and the policy used fail-closed.

import { describe, expect, it } from 'vitest';
import { decodeApiObject, parseManifests } from '../../../src/k8s/manifests.js';

describe('decodeApiObject', () => {
  it('decodes a list item of a named kind', () => {
    const r = decodeApiObject({ metadata: { name: 'n1', resourceVersion: '5', uid: 'u' }, spec: { podCIDRs: ['10.244.1.0/24'] } }, 'Node', 'v1');
    expect(r).toEqual({ object: { kind: 'Node', name: 'n1', labels: {}, annotations: {}, podCIDRs: ['10.244.1.0/24'], addresses: [] } });
  });

  it('returns the reason for an object it cannot use', () => {
    expect(decodeApiObject({ metadata: { name: 'p' }, spec: { peerIP: '10.0.0.300', asNumber: 65000 } }, 'BGPPeer', 'meridian.io/v1')).toEqual({ reason: 'spec.peerIP: "10.0.0.300" is not an IP address' });
    expect(decodeApiObject('nope', 'Node', 'v1')).toEqual({ reason: 'not an object' });
  });

  it('decodes headless Services (clusterIP and clusterIPs "None") as having no cluster IP', () => {
    const svc = (spec: Record<string, unknown>) => decodeApiObject({ metadata: { name: 'db', namespace: 'x' }, spec }, 'Service', 'v1');
    // What the API server returns for a headless Service: both fields say "None".
    expect(svc({ clusterIP: 'None', clusterIPs: ['None'], type: 'ClusterIP' })).toEqual({
      object: { kind: 'Service', namespace: 'x', name: 'db', type: 'ClusterIP', clusterIPs: [], externalIPs: [], loadBalancerIPs: [] },
    });
    expect(svc({ clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10', 'fd00:96::a'] })).toMatchObject({ object: { clusterIPs: ['10.96.0.10', 'fd00:96::a'] } });
    expect(svc({ clusterIPs: ['10.96.0.300'] })).toEqual({ reason: 'spec.clusterIPs[0]: "10.96.0.300" is not an IP address' });
  });

  it('refuses ipBlocks with a leading-zero octet (decimal or octal?), in cidr and except: the rule is dropped', () => {
    const np = (block: string) => `kind: NetworkPolicy\nmetadata: {name: p}\nspec:\n  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock: ${block}\n`;
    expect(parseManifests(np('{cidr: 010.0.0.0/8}'), 'f').problems[0]?.reason).toBe('used fail-closed: spec.ingress[0].from[0].ipBlock.cidr: "010.0.0.0/8" has an octet with a leading zero (ambiguous: decimal or octal) (rule dropped)');
    expect(parseManifests(np('{cidr: 10.0.0.0/8, except: [10.01.0.0/16]}'), 'f').problems[0]?.reason).toContain('except[0]');
    expect(parseManifests(np('{cidr: 10.0.0.0/8, except: [10.0.0.0/16]}'), 'f').problems).toEqual([]);
    expect(parseManifests(np('{cidr: "fd00:0::/64"}'), 'f').problems).toEqual([]);
  });

  it('returns a NetworkPolicy used fail-closed with the reason it is degraded', () => {
    const spec = { podSelector: { matchLabels: { pod: 'b' } }, ingress: [{ from: [{ ipBlock: { cidr: '010.0.0.0/8' } }] }, { from: [{ podSelector: {} }] }] };
    const r = decodeApiObject({ metadata: { name: 'p', namespace: 'x' }, spec }, 'NetworkPolicy', 'networking.k8s.io/v1');
    expect(r).toMatchObject({ object: { kind: 'NetworkPolicy', name: 'p', policyTypes: ['Ingress'], ingress: [{ peers: [{ podSelector: {} }], ports: [] }] } });
    expect(r !== undefined && 'degraded' in r ? r.degraded : '').toMatch(/^used fail-closed: spec\.ingress\[0\]/);
  });
});

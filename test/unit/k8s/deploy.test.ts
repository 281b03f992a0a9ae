// deploy/ agrees with the code: the ClusterRole grants exactly list/watch on the kinds the
// agent watches (src/k8s/kinds.ts) and nothing else, Secrets are readable only by name in the
// agent's namespace, and the CRD schemas name the same fields
// the decoders read (src/k8s/routing-objects.ts).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { KINDS } from '../../../src/k8s/kinds.js';
import { parseManifests } from '../../../src/k8s/manifests.js';
import { DEPLOY_DIR } from '../../harness/deploy-files.js';

type Any = Record<string, unknown>;
const docs = (f: string): Any[] => parseAllDocuments(readFileSync(join(DEPLOY_DIR, f), 'utf8')).map((d) => d.toJS() as Any);

describe('deploy/', () => {
  it('the ClusterRole is exactly read access to the watched kinds, without wildcards', () => {
    const role = docs('rbac.yaml').find((d) => d['kind'] === 'ClusterRole') as { rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[] };
    const granted = role.rules.flatMap((r) => r.apiGroups.flatMap((g) => r.resources.map((res) => `${g}/${res}:${[...r.verbs].sort().join(',')}`))).sort();
    expect(granted).toEqual(KINDS.map((k) => `${k.group}/${k.resource}:list,watch`).sort());
    expect(JSON.stringify(role)).not.toContain('*');
  });

  it('Secrets: get only, by name, in the agent\'s namespace (a Role and its RoleBinding, no cluster-wide grant)', () => {
    const all = docs('rbac.yaml');
    const role = all.find((d) => d['kind'] === 'Role') as { metadata: { name: string; namespace: string }; rules: unknown[] };
    const sa = all.find((d) => d['kind'] === 'ServiceAccount') as { metadata: { name: string; namespace: string } };
    expect(role.metadata.namespace).toBe(sa.metadata.namespace);
    expect(role.rules).toEqual([{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }]);
    const binding = all.find((d) => d['kind'] === 'RoleBinding');
    expect(binding).toEqual({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: role.metadata.name, namespace: role.metadata.namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name },
      subjects: [{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: sa.metadata.namespace }],
    });
    expect(JSON.stringify(all.filter((d) => d['kind'] === 'ClusterRole'))).not.toContain('secrets');
  });

  it('the CRDs are the watched cluster-scoped kinds, and their schemas name the fields the decoders read', () => {
    const fields: Record<string, string[]> = {
      BGPPeer: ['peerIP', 'asNumber', 'port', 'node', 'nodeSelector', 'passive', 'routeReflectorClient', 'holdTime', 'gracefulRestart', 'nextHopMode', 'passwordSecretRef', 'importAllow', 'maxPrefix'],
      BGPConfiguration: ['asNumber', 'nodeToNodeMesh', 'listenPort', 'serviceClusterIPs', 'serviceExternalIPs', 'serviceLoadBalancerIPs', 'importAllow'],
    };
    for (const f of ['crd-bgppeers.yaml', 'crd-bgpconfigurations.yaml']) {
      const crd = docs(f)[0] as { spec: { group: string; scope: string; names: { kind: string; plural: string }; versions: { name: string; schema: { openAPIV3Schema: { properties: { spec: { properties: Any } } } } }[] } };
      const kind = KINDS.find((k) => k.kind === crd.spec.names.kind);
      expect(kind).toMatchObject({ group: crd.spec.group, resource: crd.spec.names.plural, namespaced: false, apiVersion: `${crd.spec.group}/${crd.spec.versions[0]?.name}` });
      expect(crd.spec.scope).toBe('Cluster');
      expect(Object.keys(crd.spec.versions[0]?.schema.openAPIV3Schema.properties.spec.properties ?? {}).sort()).toEqual([...(fields[crd.spec.names.kind] ?? [])].sort());
    }
    // The decoders accept what the schema describes (a full example of each).
    const parsed = parseManifests(
      `apiVersion: meridian.io/v1\nkind: BGPPeer\nmetadata: {name: p}\nspec: {peerIP: 192.0.2.1, asNumber: 65000, port: 1179, nodeSelector: {matchLabels: {rack: a}}, passive: true, routeReflectorClient: false, holdTime: 9, gracefulRestart: {restartTime: 300}, nextHopMode: self, importAllow: [{cidr: 0.0.0.0/0}], maxPrefix: {limit: 10, action: warn}}\n---\napiVersion: meridian.io/v1\nkind: BGPConfiguration\nmetadata: {name: default}\nspec: {asNumber: 64512, nodeToNodeMesh: false, listenPort: 179, serviceClusterIPs: [{cidr: 10.96.0.0/16}], serviceExternalIPs: [{cidr: 192.0.2.0/24}], serviceLoadBalancerIPs: [{cidr: 198.51.100.0/24}], importAllow: [{cidr: 0.0.0.0/0}]}\n`,
      'example.yaml',
    );
    expect(parsed.problems).toEqual([]);
    expect(parsed.objects).toHaveLength(2);
    // The schema's enum is what the decoder takes.
    const peerSpec = (docs('crd-bgppeers.yaml')[0] as { spec: { versions: { schema: { openAPIV3Schema: { properties: { spec: { properties: Record<string, { enum?: string[] }> } } } } }[] } }).spec.versions[0]?.schema.openAPIV3Schema.properties.spec.properties;
    expect(peerSpec?.['nextHopMode']?.enum).toEqual(['auto', 'self']);
  });

  it('the DaemonSet runs the agent with the ServiceAccount, NODE_NAME and POD_NAMESPACE from the pod and install-cni first', () => {
    const ds = docs('daemonset.yaml')[0] as { spec: { template: { spec: Any & { initContainers: { command: string[] }[]; containers: { command: string[]; env: { name: string; valueFrom: Any }[] }[] } } } };
    const pod = ds.spec.template.spec;
    expect(pod).toMatchObject({ serviceAccountName: 'meridian', hostNetwork: true });
    expect(pod.initContainers[0]?.command.slice(0, 2)).toEqual(['meridian', 'install-cni']);
    expect(pod.containers[0]?.command.slice(0, 2)).toEqual(['meridian', 'agent']);
    expect(pod.containers[0]?.env).toContainEqual({ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } });
    // The agent's namespace (password Secrets) is the DaemonSet's own, where the Role grants get.
    expect(pod.containers[0]?.env).toContainEqual({ name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } });
    expect((ds as unknown as { metadata: { namespace: string } }).metadata.namespace).toBe((docs('rbac.yaml').find((d) => d['kind'] === 'Role') as { metadata: { namespace: string } }).metadata.namespace);
  });
});

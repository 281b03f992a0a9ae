// The real control plane the e2e tests run agents against: etcd + kube-apiserver built from Go
// modules, RBAC enforced for ServiceAccount tokens, and nothing left running afterwards.

import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlPlane } from '../harness/control-plane.js';

let cp: ControlPlane;
beforeAll(async () => {
  cp = await ControlPlane.start();
}, 180_000);
afterAll(async () => {
  await cp?.stop();
});

describe('test control plane', () => {
  it('serves the API to the admin', async () => {
    const r = await cp.request('GET', '/api/v1/namespaces/default');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ kind: 'Namespace', metadata: { name: 'default' } });
    const v = JSON.parse((await cp.request('GET', '/version')).body) as { gitVersion: string };
    expect(v.gitVersion).toMatch(/^v1\.\d+\.\d+/);
  });

  it('enforces RBAC on ServiceAccount tokens', async () => {
    const token = await cp.serviceAccountToken('default', 'rbac-probe');
    expect((await cp.request('GET', '/api/v1/nodes', { token })).status).toBe(403);
    const role = await cp.request('POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', {
      body: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'rbac-probe' }, rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['list'] }] },
    });
    expect(role.status).toBe(201);
    const binding = await cp.request('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
      body: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'rbac-probe' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'rbac-probe' },
        subjects: [{ kind: 'ServiceAccount', namespace: 'default', name: 'rbac-probe' }],
      },
    });
    expect(binding.status).toBe(201);
    // RBAC changes reach the authorizer's cache asynchronously.
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = (await cp.request('GET', '/api/v1/nodes', { token })).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
    // Still no more than granted.
    expect((await cp.request('GET', '/api/v1/pods', { token })).status).toBe(403);
  });

  it('stops cleanly, removing its data', async () => {
    const other = await ControlPlane.start();
    const dir = other.dir;
    await other.stop();
    expect(existsSync(dir)).toBe(false);
    await expect(other.request('GET', '/readyz')).rejects.toThrow();
  }, 180_000);
});

// Kubeconfig files and ServiceAccount tokens for clients of a cluster Meridian runs itself
// (`meridian lab --apiserver`, the e2e tests): one cluster, one bearer-token user, one context.

import { writeFileSync } from 'node:fs';
import { apiRequest, ApiError, statusMessage } from './api-request.js';
import { loadKubeConfig } from './informers.js';

export interface KubeconfigSpec {
  readonly server: string;
  /** PEM of the CA that signed (or the self-signed) serving certificate. */
  readonly caPem: string;
  readonly token: string;
}

export function kubeconfigText(s: KubeconfigSpec): string {
  const cfg = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'meridian', cluster: { server: s.server, 'certificate-authority-data': Buffer.from(s.caPem).toString('base64') } }],
    users: [{ name: 'meridian', user: { token: s.token } }],
    contexts: [{ name: 'meridian', context: { cluster: 'meridian', user: 'meridian' } }],
    'current-context': 'meridian',
  };
  return `${JSON.stringify(cfg, null, 2)}\n`;
}

/** Write a kubeconfig (mode 0600: it holds a credential); returns the path. */
export function writeKubeconfig(file: string, s: KubeconfigSpec): string {
  writeFileSync(file, kubeconfigText(s), { mode: 0o600 });
  return file;
}

/** The server URL, CA and token of a kubeconfig written by writeKubeconfig (or any token-based one). */
export function readKubeconfig(file: string): KubeconfigSpec {
  const kc = loadKubeConfig(file);
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  if (cluster === null || user === null || user.token === undefined) throw new Error(`${file}: needs a current cluster and a token user`);
  const caPem = cluster.caData !== undefined ? Buffer.from(cluster.caData, 'base64').toString('utf8') : '';
  return { server: cluster.server, caPem, token: user.token };
}

/**
 * Create the ServiceAccount if it is missing and return a token for it from the TokenRequest API,
 * as the kubeconfig's user (who must be allowed both). The server may shorten the expiry.
 */
export async function serviceAccountToken(kubeconfigPath: string, namespace: string, name: string, expirationSeconds = 3600): Promise<string> {
  const kc = loadKubeConfig(kubeconfigPath);
  const base = `/api/v1/namespaces/${encodeURIComponent(namespace)}/serviceaccounts`;
  const sa = await apiRequest(kc, base, { method: 'POST', body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } } });
  if (sa.status !== 201 && sa.status !== 409) throw new ApiError(base, sa.status, `creating ServiceAccount ${namespace}/${name}: HTTP ${sa.status}: ${statusMessage(sa.body)}`);
  const path = `${base}/${encodeURIComponent(name)}/token`;
  const tr = await apiRequest(kc, path, { method: 'POST', body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds } } });
  const token = (tr.body as { status?: { token?: unknown } } | undefined)?.status?.token;
  if (tr.status !== 201 || typeof token !== 'string') throw new ApiError(path, tr.status, `TokenRequest: HTTP ${tr.status}: ${statusMessage(tr.body)}`);
  return token;
}

/** Does the API server answer /readyz with "ok" (to the kubeconfig's user)? */
export async function apiServerReady(kubeconfigPath: string): Promise<boolean> {
  const a = await apiRequest(loadKubeConfig(kubeconfigPath), '/readyz', { timeoutMs: 5000 });
  return a.status === 200 && typeof a.body === 'string' && a.body.trim() === 'ok';
}

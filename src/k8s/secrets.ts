// Secrets, for one use: the TCP MD5 passwords BGPPeers name with `passwordSecretRef` (in the agent's
// own namespace). Secrets are not a watched kind: listing or watching them cluster-wide would
// grant the agent every Secret of the cluster. Instead the agent GETs the few it needs, in its own
// namespace only (deploy/rbac.yaml: a Role with `get` on secrets there), and re-reads them
// periodically (src/agent/peer-secrets.ts). The files datastore reads `kind: Secret` manifests
// from its directory (manifests.ts collects them beside the objects).
//
// Secret values never appear in an error message, a log or a status: only names and keys do.

import type { KubeConfig } from '@kubernetes/client-node';
import { apiRequest, ApiError, statusMessage } from './api-request.js';
import { Invalid, isObj } from './decode.js';
import { readManifestDir } from './manifests-dir.js';
import { decodeSecret, type Secret } from './secret.js';

export type { Secret } from './secret.js';

/** Where the agent reads Secrets from. */
export interface SecretReader {
  /** The Secret, or undefined when it does not exist. Throws when the source cannot be read. */
  read(namespace: string, name: string): Promise<Secret | undefined>;
}

/** Secrets from the API server: one GET each (RBAC: `get` on secrets in that namespace). */
export function apiSecretReader(kc: KubeConfig, opts: { timeoutMs?: number } = {}): SecretReader {
  return {
    async read(namespace, name) {
      const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(name)}`;
      const a = await apiRequest(kc, path, { timeoutMs: opts.timeoutMs ?? 10_000 });
      if (a.status === 404) return undefined;
      if (a.status !== 200) throw new ApiError(path, a.status, `HTTP ${a.status}: ${statusMessage(a.body)}`);
      if (!isObj(a.body)) throw new ApiError(path, a.status, 'answer is not a JSON object');
      try {
        return decodeSecret(a.body);
      } catch (e) {
        if (e instanceof Invalid) throw new ApiError(path, a.status, `Secret ${namespace}/${name}: ${e.message}`);
        throw e;
      }
    },
  };
}

/** Secrets from the files datastore's directory (`kind: Secret` manifests). */
export function filesSecretReader(dir: string): SecretReader {
  return {
    async read(namespace, name) {
      const { secrets } = await readManifestDir(dir);
      return secrets.find((s) => s.namespace === namespace && s.name === name);
    },
  };
}

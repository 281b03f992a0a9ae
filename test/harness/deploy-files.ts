// The manifests in deploy/ that tests apply to the API server, in dependency order (CRDs and the
// ServiceAccount before what refers to them).

import { join, resolve } from 'node:path';

export const DEPLOY_DIR = resolve(import.meta.dirname, '../../deploy');
export const DEPLOY_FILES = ['crd-bgppeers.yaml', 'crd-bgpconfigurations.yaml', 'rbac.yaml', 'configmap.yaml', 'daemonset.yaml'].map((f) => join(DEPLOY_DIR, f));

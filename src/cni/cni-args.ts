// CNI_ARGS: "Extra arguments passed in by the user at invocation time. Alphanumeric key-value
// pairs separated by semicolons" (SPEC.md). Parsed as libcni's pkg/types LoadArgs does: every
// `;`-separated item must be exactly `K=V`; a key this plugin does not know is an error unless
// IgnoreUnknown is true ("1", "true", "True", "TRUE", as UnmarshallableBool reads it). kubelet
// and containerd always send IgnoreUnknown=1 with the K8S_POD_* keys. Pure.

import { CNI_CODES, CniError } from './errors.js';

export interface PodRef {
  readonly namespace: string;
  readonly name: string;
}

export interface CniArgs {
  /** From K8S_POD_NAMESPACE and K8S_POD_NAME, when both are present and non-empty. */
  readonly pod: PodRef | undefined;
}

/** Keys we accept; only the pod identity is used (see names.ts hostVethName). */
const KNOWN = new Set(['IgnoreUnknown', 'K8S_POD_NAMESPACE', 'K8S_POD_NAME', 'K8S_POD_INFRA_CONTAINER_ID', 'K8S_POD_UID']);
const TRUE = new Set(['1', 'true', 'True', 'TRUE']);
const FALSE = new Set(['0', 'false', 'False', 'FALSE']);

const bad = (why: string): CniError => new CniError(CNI_CODES.invalidEnvironment, `CNI_ARGS ${why}`);

export function parseCniArgs(text: string | undefined): CniArgs {
  if (text === undefined || text === '') return { pod: undefined };
  const pairs = new Map<string, string>();
  for (const item of text.split(';')) {
    const kv = item.split('=');
    if (kv.length !== 2 || kv[0] === '') throw bad(`has an invalid pair ${JSON.stringify(item)} (want KEY=VALUE)`);
    pairs.set(kv[0] as string, kv[1] as string);
  }
  const ignore = pairs.get('IgnoreUnknown');
  if (ignore !== undefined && !TRUE.has(ignore) && !FALSE.has(ignore)) throw bad(`IgnoreUnknown=${JSON.stringify(ignore)} is not a boolean`);
  if (ignore === undefined || !TRUE.has(ignore)) {
    const unknown = [...pairs.keys()].filter((k) => !KNOWN.has(k));
    if (unknown.length > 0) throw bad(`has unknown keys ${unknown.join(', ')} (set IgnoreUnknown=1 to allow them)`);
  }
  const namespace = pairs.get('K8S_POD_NAMESPACE');
  const name = pairs.get('K8S_POD_NAME');
  return { pod: namespace !== undefined && namespace !== '' && name !== undefined && name !== '' ? { namespace, name } : undefined };
}

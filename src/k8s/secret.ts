// A Secret document as the agent uses it (BGPPeer passwords, secrets.ts): pure decoding, the same
// for a manifest and for what the API server returns. Error messages name fields and keys, never
// values.

import { Invalid, obj, optStr, str, type Obj } from './decode.js';

export interface Secret {
  readonly namespace: string;
  readonly name: string;
  /** Key -> value bytes (`data` base64-decoded, with `stringData` merged over it as the API server does). */
  readonly data: Readonly<Record<string, Buffer>>;
}

// RFC 4648 base64 with padding, as the API server checks `data` (and Go's StdEncoding decodes).
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict base64 (Buffer.from(s, 'base64') accepts anything, silently dropping what is not). */
export function isBase64(s: string): boolean {
  return BASE64.test(s);
}

/** A Secret document (a manifest, or what the API server returns). Throws Invalid naming the field. */
export function decodeSecret(doc: Obj): Secret {
  if (doc['apiVersion'] !== undefined && doc['apiVersion'] !== 'v1') throw new Invalid(`apiVersion ${JSON.stringify(doc['apiVersion'])}: must be v1`);
  const m = obj(doc['metadata'], 'metadata') as Obj;
  const name = str(m['name'], 'metadata.name');
  const namespace = optStr(m['namespace'], 'metadata.namespace') ?? 'default';
  const data: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(obj(doc['data'], 'data', true) ?? {})) {
    if (typeof v !== 'string' || !isBase64(v)) throw new Invalid(`data.${k}: must be base64`);
    data[k] = Buffer.from(v, 'base64');
  }
  for (const [k, v] of Object.entries(obj(doc['stringData'], 'stringData', true) ?? {})) {
    if (typeof v !== 'string') throw new Invalid(`stringData.${k}: must be a string`);
    data[k] = Buffer.from(v, 'utf8');
  }
  return { namespace, name, data };
}

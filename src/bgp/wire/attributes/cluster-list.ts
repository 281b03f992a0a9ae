// CLUSTER_LIST (type 10, optional non-transitive), RFC 4456 §8: the cluster ids a reflected route
// passed through, most recent first. Malformed -> treat-as-withdraw (RFC 7606 §7.10).

import { formatIpv4, parseIpv4 } from '../address.js';
import { expectMultiple } from './fault.js';

export function decodeClusterList(value: Uint8Array): string[] {
  expectMultiple(value, 4, 'CLUSTER_LIST');
  const out: string[] = [];
  for (let i = 0; i < value.length; i += 4) out.push(formatIpv4(value, i));
  return out;
}

export function encodeClusterList(ids: readonly string[]): Buffer {
  return Buffer.concat(ids.map(parseIpv4));
}

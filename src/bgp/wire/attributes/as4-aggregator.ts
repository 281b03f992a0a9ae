// AS4_AGGREGATOR (type 18, optional transitive), RFC 6793 §3: the 4-octet aggregator ASN when
// AGGREGATOR carries AS_TRANS. Malformed -> attribute-discard (RFC 6793 §6).

import { type Aggregator, decodeAggregatorValue, encodeAggregatorValue } from './aggregator.js';

export function decodeAs4Aggregator(value: Uint8Array): Aggregator {
  return decodeAggregatorValue(value, 4, 'AS4_AGGREGATOR');
}

export function encodeAs4Aggregator(agg: Aggregator): Buffer {
  return encodeAggregatorValue(agg, 4);
}

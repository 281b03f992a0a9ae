// AGGREGATOR (type 7, optional transitive), RFC 4271 §5.1.7: the ASN (2 or 4 octets, by the
// 4-octet AS capability, RFC 6793 §4) and IPv4 BGP identifier of the speaker that aggregated.
// Malformed -> attribute-discard (RFC 7606 §7.7). AS4_AGGREGATOR (as4-aggregator.ts) reuses this.

import { formatIpv4, parseIpv4 } from '../address.js';
import { EncodeError } from '../errors.js';
import { expectLength } from './fault.js';

export interface Aggregator {
  readonly asn: number;
  readonly address: string;
}

export function decodeAggregatorValue(value: Uint8Array, asnSize: 2 | 4, what: string): Aggregator {
  expectLength(value, asnSize + 4, what);
  const b = Buffer.from(value);
  const asn = asnSize === 4 ? b.readUInt32BE(0) : b.readUInt16BE(0);
  return { asn, address: formatIpv4(b, asnSize) };
}

export function encodeAggregatorValue(agg: Aggregator, asnSize: 2 | 4): Buffer {
  if (!Number.isInteger(agg.asn) || agg.asn < 0 || agg.asn > (asnSize === 4 ? 0xffffffff : 0xffff)) {
    throw new EncodeError(`AGGREGATOR ASN ${agg.asn} does not fit ${asnSize} octets (use AS_TRANS)`);
  }
  const b = Buffer.alloc(asnSize);
  if (asnSize === 4) b.writeUInt32BE(agg.asn);
  else b.writeUInt16BE(agg.asn);
  return Buffer.concat([b, parseIpv4(agg.address)]);
}

export function decodeAggregator(value: Uint8Array, fourOctetAs: boolean): Aggregator {
  return decodeAggregatorValue(value, fourOctetAs ? 4 : 2, 'AGGREGATOR');
}

export function encodeAggregator(agg: Aggregator, fourOctetAs: boolean): Buffer {
  return encodeAggregatorValue(agg, fourOctetAs ? 4 : 2);
}

// Talking to a speaker without the 4-octet AS capability ("OLD" speaker, RFC 6793 §4.2): on
// receipt, rebuild the true path from AS_PATH (2-octet, AS_TRANS in place of big ASNs) and
// AS4_PATH; on send, produce the 2-octet AS_PATH plus AS4_PATH/AS4_AGGREGATOR. Both pure.

import { AS_TRANS } from '../constants.js';
import type { AsPath, AsPathSegment } from './as-path.js';
import type { Aggregator } from './aggregator.js';
import type { PathAttributes } from './path-attributes.js';

/** RFC 6793 §4.2.3 counting: AS_SET counts 1, confederation segments 0. */
function countAs4(path: AsPath): number {
  let n = 0;
  for (const s of path) n += s.type === 'sequence' ? s.asns.length : s.type === 'set' ? 1 : 0;
  return n;
}

/** The leading part of `path` worth `n` ASNs (sets count 1, confed segments are kept and count 0). */
function leading(path: AsPath, n: number): AsPathSegment[] {
  const out: AsPathSegment[] = [];
  let left = n;
  for (const s of path) {
    if (left <= 0) break;
    if (s.type === 'confed-sequence' || s.type === 'confed-set') out.push(s);
    else if (s.type === 'set') {
      out.push(s);
      left -= 1;
    } else {
      const take = s.asns.slice(0, left);
      out.push({ type: 'sequence', asns: take });
      left -= take.length;
    }
  }
  return out;
}

export interface MergedAs4 {
  readonly asPath: AsPath | undefined;
  readonly aggregator: Aggregator | undefined;
}

/**
 * RFC 6793 §4.2.3, for UPDATEs from an OLD speaker (use only when the session is not 4-octet):
 * - AGGREGATOR with a real (non-AS_TRANS) ASN and an AS4_AGGREGATOR: the UPDATE was aggregated
 *   by an OLD speaker after the AS4_* were added, so both AS4_AGGREGATOR and AS4_PATH are ignored;
 * - AGGREGATOR = AS_TRANS with AS4_AGGREGATOR: the latter is the aggregator;
 * - AS4_PATH longer than AS_PATH is ignored; otherwise the result is the leading
 *   (len(AS_PATH) - len(AS4_PATH)) ASNs of AS_PATH followed by AS4_PATH.
 */
export function mergeAs4Path(attrs: PathAttributes): MergedAs4 {
  const { asPath, as4Path, aggregator, as4Aggregator } = attrs;
  if (aggregator && as4Aggregator && aggregator.asn !== AS_TRANS) return { asPath, aggregator };
  const agg = aggregator && as4Aggregator ? as4Aggregator : aggregator;
  if (!asPath || !as4Path) return { asPath, aggregator: agg };
  const extra = countAs4(asPath) - countAs4(as4Path);
  if (extra < 0) return { asPath, aggregator: agg };
  const head = leading(asPath, extra);
  const last = head[head.length - 1];
  const first = as4Path[0];
  // Join two sequences at the seam so the result has the shape the originator sent.
  if (last?.type === 'sequence' && first?.type === 'sequence' && last.asns.length + first.asns.length <= 255) {
    return {
      asPath: [...head.slice(0, -1), { type: 'sequence', asns: [...last.asns, ...first.asns] }, ...as4Path.slice(1)],
      aggregator: agg,
    };
  }
  return { asPath: [...head, ...as4Path], aggregator: agg };
}

const big = (asn: number): boolean => asn > 0xffff;

/**
 * RFC 6793 §4.2.2, for UPDATEs to an OLD speaker: ASNs that do not fit 2 octets become AS_TRANS
 * in AS_PATH/AGGREGATOR, and the true values go in AS4_PATH/AS4_AGGREGATOR (only when needed;
 * confederation segments are left out of AS4_PATH, §3). Encode the result with fourOctetAs false.
 */
export function splitAs4Path(attrs: PathAttributes): PathAttributes {
  const { as4Path: _p, as4Aggregator: _a, ...rest } = attrs;
  let out: PathAttributes = rest;
  const path = attrs.asPath;
  if (path && path.some((s) => s.asns.some(big))) {
    out = {
      ...out,
      asPath: path.map((s) => ({ type: s.type, asns: s.asns.map((a) => (big(a) ? AS_TRANS : a)) })),
      as4Path: path.filter((s) => s.type === 'sequence' || s.type === 'set'),
    };
  }
  if (attrs.aggregator && big(attrs.aggregator.asn)) {
    out = { ...out, aggregator: { asn: AS_TRANS, address: attrs.aggregator.address }, as4Aggregator: attrs.aggregator };
  }
  return out;
}

// One peer's Adj-RIB-Out (RFC 4271 3.2): what it was last sent per prefix, and the announcements
// and withdrawals queued since, coalesced until the speaker flushes them as packed UPDATEs.
// Owns state; does no I/O (flush returns the encoded messages).

import {
  AFI_IPV4,
  AFI_IPV6,
  type CodecContext,
  formatPrefix,
  packAnnouncements,
  packWithdrawals,
  parsePrefix,
  type Prefix,
  splitAs4Path,
} from '../wire/index.js';
import type { RouteAttrs } from './route-rules.js';

export class AdjRibOut {
  /** prefix -> the attributes last sent (serialised, for comparison). */
  private readonly sent = new Map<string, string>();
  private readonly announce = new Map<string, RouteAttrs>();
  private readonly withdraw = new Set<string>();

  /** Prefixes the peer currently has from us. */
  get size(): number {
    return this.sent.size;
  }

  sentPrefixes(): IterableIterator<string> {
    return this.sent.keys();
  }

  get pending(): boolean {
    return this.announce.size > 0 || this.withdraw.size > 0;
  }

  /** Session reset: the peer has nothing from us any more. */
  clear(): void {
    this.sent.clear();
    this.announce.clear();
    this.withdraw.clear();
  }

  /** Forget what was sent for one family (ROUTE-REFRESH: it is all sent again). */
  forgetFamily(afi: number): void {
    for (const k of [...this.sent.keys()]) if (parsePrefix(k).afi === afi) this.sent.delete(k);
  }

  /** The peer should now have `attrs` for `prefix` (undefined: nothing). */
  queue(prefix: string, attrs: RouteAttrs | undefined): void {
    const key = attrs === undefined ? undefined : JSON.stringify(attrs);
    if (key === this.sent.get(prefix)) {
      // Back to what the peer already has: whatever was queued since is void.
      this.announce.delete(prefix);
      this.withdraw.delete(prefix);
      return;
    }
    if (attrs === undefined) {
      this.announce.delete(prefix);
      if (this.sent.has(prefix)) this.withdraw.add(prefix);
    } else {
      this.withdraw.delete(prefix);
      this.announce.set(prefix, attrs);
    }
  }

  /**
   * Everything queued, as packed UPDATEs for a session with `ctx`. Routes whose attributes cannot
   * be encoded (a peer's 4 KB of communities plus what we add) are reported through `onUnsendable`
   * and withdrawn instead of taking the process down.
   */
  flush(ctx: CodecContext, onUnsendable: (prefixes: readonly Prefix[], err: unknown) => void): Buffer[] {
    const msgs: Buffer[] = [];
    if (this.withdraw.size > 0) {
      msgs.push(...packWithdrawals([...this.withdraw].map(parsePrefix), ctx));
      for (const w of this.withdraw) this.sent.delete(w);
      this.withdraw.clear();
    }
    const groups = new Map<string, { attrs: RouteAttrs; key: string; prefixes: Prefix[] }>();
    for (const [prefix, attrs] of this.announce) {
      const pfx = parsePrefix(prefix);
      const key = JSON.stringify(attrs);
      const k = `${pfx.afi}|${key}`;
      const g = groups.get(k) ?? { attrs, key, prefixes: [] };
      g.prefixes.push(pfx);
      groups.set(k, g);
    }
    this.announce.clear();
    const unsendable: Prefix[] = [];
    for (const g of groups.values()) {
      const afi = g.prefixes[0]?.afi ?? AFI_IPV4;
      // RFC 6793 4.2.2: towards a 2-octet peer, AS_PATH carries AS_TRANS and AS4_PATH the real ASNs.
      const pa = ctx.fourOctetAs ? g.attrs.pa : splitAs4Path(g.attrs.pa);
      try {
        msgs.push(
          ...packAnnouncements(
            {
              afi: afi === AFI_IPV6 ? AFI_IPV6 : AFI_IPV4,
              prefixes: g.prefixes,
              attributes: pa,
              nextHop: g.attrs.nextHop,
              ...(g.attrs.linkLocalNextHop !== undefined ? { linkLocalNextHop: g.attrs.linkLocalNextHop } : {}),
            },
            ctx,
          ),
        );
        for (const x of g.prefixes) this.sent.set(formatPrefix(x), g.key);
      } catch (e) {
        onUnsendable(g.prefixes, e);
        for (const x of g.prefixes) if (this.sent.delete(formatPrefix(x))) unsendable.push(x);
      }
    }
    if (unsendable.length > 0) msgs.push(...packWithdrawals(unsendable, ctx));
    return msgs;
  }
}

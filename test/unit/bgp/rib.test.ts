import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LOCAL_SOURCE, Rib, type SourceInfo } from '../../../src/bgp/rib/rib.js';

interface Attrs {
  localPref?: number;
  asPathLength: number;
  nextHop: string;
}

const rib = () =>
  new Rib<Attrs>({
    toCandidate: (p) => ({ localPref: p.attrs.localPref, asPathLength: p.attrs.asPathLength, neighborAs: 65000, origin: 'igp' }),
  });
const peer = (n: number, ebgp = false): SourceInfo => ({ key: `192.0.2.${n}`, bgpId: n, ebgp });
const local: SourceInfo = { key: LOCAL_SOURCE, bgpId: 0, ebgp: false };
const attrs = (nextHop: string, asPathLength = 1, localPref?: number): Attrs => ({ nextHop, asPathLength, ...(localPref !== undefined ? { localPref } : {}) });

describe('Rib', () => {
  it('reports a change only when the best path or ECMP set moves', () => {
    const r = rib();
    const c1 = r.upsert('10.244.1.0/24', peer(1), attrs('192.0.2.1', 2));
    expect(c1).toHaveLength(1);
    expect(c1[0]?.before).toBeUndefined();
    expect(c1[0]?.now?.best.source.key).toBe('192.0.2.1');
    // A worse path does not change the Loc-RIB.
    expect(r.upsert('10.244.1.0/24', peer(2), attrs('192.0.2.2', 3))).toEqual([]);
    // A better one does.
    const c3 = r.upsert('10.244.1.0/24', peer(3), attrs('192.0.2.3', 1));
    expect(c3[0]?.now?.best.source.key).toBe('192.0.2.3');
    expect(c3[0]?.now?.reason).toBe('as-path');
    // Withdrawing the best falls back to the next.
    expect(r.withdraw('10.244.1.0/24', '192.0.2.3')[0]?.now?.best.source.key).toBe('192.0.2.1');
    expect(r.withdraw('10.244.1.0/24', '192.0.2.9')).toEqual([]);
  });

  it('keeps an ECMP set of equal paths', () => {
    const r = rib();
    r.upsert('10.96.0.0/12', peer(2), attrs('192.0.2.2'));
    const c = r.upsert('10.96.0.0/12', peer(1), attrs('192.0.2.1'));
    expect(c[0]?.now?.multipath.map((p) => p.source.key)).toEqual(['192.0.2.1', '192.0.2.2']);
    expect(r.withdraw('10.96.0.0/12', '192.0.2.1')[0]?.now?.multipath.map((p) => p.source.key)).toEqual(['192.0.2.2']);
  });

  it('prefers local originations', () => {
    const r = rib();
    r.upsert('10.244.0.0/24', peer(1, true), attrs('192.0.2.1', 0, 500));
    const c = r.upsert('10.244.0.0/24', local, attrs('0.0.0.0', 0, 500));
    expect(c[0]?.now?.best.source.key).toBe(LOCAL_SOURCE);
  });

  it('drops a peer for good, or keeps its paths stale until End-of-RIB', () => {
    const r = rib();
    for (const p of ['10.244.1.0/24', '10.244.2.0/24', '10.244.3.0/24']) r.upsert(p, peer(1), attrs('192.0.2.1'));
    r.upsert('10.244.9.0/24', peer(2), attrs('192.0.2.2'));

    r.markStale('192.0.2.1');
    expect(r.size).toBe(4);
    expect(r.best('10.244.1.0/24')?.best.stale).toBe(true);
    // The restarted peer re-advertises two of three before End-of-RIB.
    r.upsert('10.244.1.0/24', peer(1), attrs('192.0.2.1'));
    r.upsert('10.244.2.0/24', peer(1), attrs('192.0.2.1'));
    expect(r.best('10.244.1.0/24')?.best.stale).toBe(false);
    const flushed = r.flushStale('192.0.2.1');
    expect(flushed.map((c) => [c.prefix, c.now])).toEqual([['10.244.3.0/24', undefined]]);
    expect(r.size).toBe(3);

    const dropped = r.dropSource('192.0.2.1');
    expect(dropped.map((c) => c.prefix).sort()).toEqual(['10.244.1.0/24', '10.244.2.0/24']);
    expect(r.pathsFrom('192.0.2.1')).toEqual([]);
    expect(r.pathsFrom('192.0.2.2')).toHaveLength(1);
  });

  it('ends where a from-scratch RIB would, for any sequence of operations', () => {
    const op = fc.oneof(
      fc.record({ t: fc.constant('upsert' as const), prefix: fc.integer({ min: 0, max: 3 }), peer: fc.integer({ min: 1, max: 4 }), len: fc.integer({ min: 0, max: 3 }) }),
      fc.record({ t: fc.constant('withdraw' as const), prefix: fc.integer({ min: 0, max: 3 }), peer: fc.integer({ min: 1, max: 4 }) }),
      fc.record({ t: fc.constant('drop' as const), peer: fc.integer({ min: 1, max: 4 }) }),
      fc.record({ t: fc.constant('stale' as const), peer: fc.integer({ min: 1, max: 4 }) }),
      fc.record({ t: fc.constant('flush' as const), peer: fc.integer({ min: 1, max: 4 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const r = rib();
        // Model: the surviving path per (prefix, peer).
        const model = new Map<string, { len: number; stale: boolean }>();
        const events: Map<string, string | undefined> = new Map();
        const record = (cs: ReturnType<typeof r.upsert>) => {
          for (const c of cs) events.set(c.prefix, c.now?.best.source.key);
        };
        for (const o of ops) {
          const pk = o.t === 'upsert' || o.t === 'withdraw' ? `10.0.${o.prefix}.0/24` : '';
          if (o.t === 'upsert') {
            record(r.upsert(pk, peer(o.peer), attrs(`192.0.2.${o.peer}`, o.len)));
            model.set(`${pk}|${o.peer}`, { len: o.len, stale: false });
          } else if (o.t === 'withdraw') {
            record(r.withdraw(pk, `192.0.2.${o.peer}`));
            model.delete(`${pk}|${o.peer}`);
          } else if (o.t === 'drop') {
            record(r.dropSource(`192.0.2.${o.peer}`));
            for (const k of [...model.keys()]) if (k.endsWith(`|${o.peer}`)) model.delete(k);
          } else if (o.t === 'stale') {
            r.markStale(`192.0.2.${o.peer}`);
            for (const [k, v] of model) if (k.endsWith(`|${o.peer}`)) model.set(k, { ...v, stale: true });
          } else {
            record(r.flushStale(`192.0.2.${o.peer}`));
            for (const [k, v] of [...model]) if (k.endsWith(`|${o.peer}`) && v.stale) model.delete(k);
          }
        }
        const fresh = rib();
        for (const [k, v] of model) {
          const [prefix = '', n = '0'] = k.split('|');
          fresh.upsert(prefix, peer(Number(n)), attrs(`192.0.2.${n}`, v.len));
        }
        for (let i = 0; i < 4; i++) {
          const p = `10.0.${i}.0/24`;
          expect(r.best(p)?.best.source.key).toBe(fresh.best(p)?.best.source.key);
          expect(r.best(p)?.multipath.map((x) => x.source.key)).toEqual(fresh.best(p)?.multipath.map((x) => x.source.key));
          // The change stream told the truth about the final best path.
          if (events.has(p)) expect(events.get(p)).toBe(r.best(p)?.best.source.key);
        }
      }),
      { numRuns: 500 },
    );
  });
});

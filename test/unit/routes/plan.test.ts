import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { KernelRoute } from '../../../src/net/ip.js';
import { kernelDst, observedRoute, planRoutes, type DesiredRoute } from '../../../src/routes/plan.js';

const o = { protocol: 180, table: 254, metric: 20 };

describe('planRoutes', () => {
  it('adds, changes and removes only what differs', () => {
    const desired: DesiredRoute[] = [
      { dst: '10.244.0.0/24', type: 'blackhole', nexthops: [] },
      { dst: '10.244.1.0/24', type: 'unicast', nexthops: [{ gateway: '192.0.2.2', dev: 'eth0' }] },
      { dst: '10.244.2.0/24', type: 'unicast', nexthops: [{ gateway: '192.0.2.3', dev: 'eth0', onlink: true }] },
    ];
    const observed: KernelRoute[] = [
      { dst: '10.244.1.0/24', gateway: '192.0.2.2', dev: 'eth0', protocol: '180', metric: 20, flags: [] },
      { dst: '10.244.2.0/24', gateway: '192.0.2.9', dev: 'eth0', protocol: '180', metric: 20, flags: ['onlink'] },
      { dst: '10.244.7.0/24', gateway: '192.0.2.7', dev: 'eth0', protocol: '180', metric: 20, flags: [] },
    ];
    expect(planRoutes(desired, observed, o)).toEqual([
      { type: 'del', route: { dst: '10.244.7.0/24', protocol: 180, table: 254, metric: 20 } },
      { type: 'replace', route: { dst: '10.244.0.0/24', type: 'blackhole', protocol: 180, table: 254, metric: 20 } },
      {
        type: 'replace',
        route: { dst: '10.244.2.0/24', type: 'unicast', nexthops: [{ gateway: '192.0.2.3', dev: 'eth0', onlink: true }], protocol: 180, table: 254, metric: 20 },
      },
    ]);
  });

  it('plans nothing for a route asked for without a device that the kernel shows with one', () => {
    // desiredRoutes names no device for next hops on a connected subnet; ip prints the one the
    // kernel resolved. Found by the BGP ingest bench: every reconcile replaced every route.
    const desired: DesiredRoute[] = [
      { dst: '10.20.0.0/24', type: 'unicast', nexthops: [{ gateway: '192.0.2.2' }] },
      { dst: '10.20.1.0/24', type: 'unicast', nexthops: [{ gateway: '192.0.2.2' }, { gateway: '192.0.2.3' }] },
    ];
    const observed: KernelRoute[] = [
      { dst: '10.20.0.0/24', gateway: '192.0.2.2', dev: 'eth0', protocol: '180', metric: 20, flags: [] },
      {
        dst: '10.20.1.0/24',
        protocol: '180',
        metric: 20,
        flags: [],
        nexthops: [
          { gateway: '192.0.2.2', dev: 'eth0', weight: 1, flags: [] },
          { gateway: '192.0.2.3', dev: 'eth0', weight: 1, flags: [] },
        ],
      },
    ];
    expect(planRoutes(desired, observed, o)).toEqual([]);
    // A different gateway is still a change.
    expect(planRoutes([{ dst: '10.20.0.0/24', type: 'unicast', nexthops: [{ gateway: '192.0.2.9' }] }], observed.slice(0, 1), o)).toHaveLength(1);
  });

  it('reads the kernel shapes back as what was asked for', () => {
    expect(kernelDst('10.0.0.1', 4)).toBe('10.0.0.1/32');
    expect(kernelDst('fd00::1', 6)).toBe('fd00::1/128');
    expect(kernelDst('default', 6)).toBe('::/0');
    expect(
      observedRoute({
        dst: '10.96.0.0/12',
        protocol: '180',
        metric: 20,
        flags: [],
        nexthops: [
          { gateway: '192.0.2.2', dev: 'eth0', weight: 1, flags: [] },
          { gateway: '192.0.2.3', dev: 'eth0', weight: 1, flags: ['onlink'] },
        ],
      }),
    ).toEqual({
      dst: '10.96.0.0/12',
      type: 'unicast',
      nexthops: [
        { gateway: '192.0.2.2', dev: 'eth0' },
        { gateway: '192.0.2.3', dev: 'eth0', onlink: true },
      ],
    });
  });

  it('treats ECMP next hops as a set and removes our routes with a stale metric', () => {
    const desired: DesiredRoute[] = [{ dst: '10.96.0.0/12', type: 'unicast', nexthops: [{ gateway: '192.0.2.3' }, { gateway: '192.0.2.2' }] }];
    const observed: KernelRoute[] = [
      { dst: '10.96.0.0/12', protocol: '180', metric: 20, flags: [], nexthops: [{ gateway: '192.0.2.2', weight: 1, flags: [] }, { gateway: '192.0.2.3', weight: 1, flags: [] }] },
      { dst: '10.244.5.0/24', type: 'blackhole', protocol: '180', flags: [] },
    ];
    expect(planRoutes(desired, observed, o)).toEqual([{ type: 'del', route: { dst: '10.244.5.0/24', protocol: 180, table: 254, metric: 0 } }]);
  });

  it('accepts the device the kernel chose for a next hop given without one (no perpetual rewrite)', () => {
    const desired: DesiredRoute[] = [
      { dst: '20.0.0.0/24', type: 'unicast', nexthops: [{ gateway: '10.0.0.1' }] },
      { dst: '20.0.1.0/24', type: 'unicast', nexthops: [{ gateway: '10.0.0.1' }, { gateway: '10.0.0.2' }] },
      { dst: '20.0.2.0/24', type: 'unicast', nexthops: [{ gateway: '10.0.0.1', dev: 'eth1' }] },
    ];
    const observed: KernelRoute[] = [
      { dst: '20.0.0.0/24', gateway: '10.0.0.1', dev: 'eth0', protocol: '180', metric: 20, flags: [] },
      {
        dst: '20.0.1.0/24',
        protocol: '180',
        metric: 20,
        flags: [],
        nexthops: [
          { gateway: '10.0.0.2', dev: 'eth0', weight: 1, flags: [] },
          { gateway: '10.0.0.1', dev: 'eth0', weight: 1, flags: [] },
        ],
      },
      // An explicit device still has to match.
      { dst: '20.0.2.0/24', gateway: '10.0.0.1', dev: 'eth0', protocol: '180', metric: 20, flags: [] },
    ];
    expect(planRoutes(desired, observed, o).map((op) => `${op.type} ${op.route.dst}`)).toEqual(['replace 20.0.2.0/24']);
  });

  it('refuses a zero metric', () => {
    expect(() => planRoutes([], [], { ...o, metric: 0 })).toThrow(/metric/);
  });

  it('is a fixpoint: planning against the result of the plan yields nothing', () => {
    const hop = fc.record({ gateway: fc.constantFrom('192.0.2.2', '192.0.2.3', '192.0.2.4'), dev: fc.constantFrom('eth0', 'eth1'), onlink: fc.boolean() });
    const route = fc.record({
      n: fc.integer({ min: 0, max: 9 }),
      type: fc.constantFrom('unicast' as const, 'blackhole' as const, 'unreachable' as const),
      nexthops: fc.uniqueArray(hop, { minLength: 1, maxLength: 3, selector: (h) => h.gateway }),
    });
    fc.assert(
      fc.property(fc.uniqueArray(route, { selector: (r) => r.n, maxLength: 8 }), fc.uniqueArray(route, { selector: (r) => r.n, maxLength: 8 }), (want, had) => {
        const toDesired = (r: (typeof want)[number]): DesiredRoute => ({ dst: `10.244.${r.n}.0/24`, type: r.type, nexthops: r.type === 'unicast' ? r.nexthops : [] });
        // The kernel after applying: exactly the desired routes, in kernel shape.
        const kernelAfter = want.map(toDesired).map((d): KernelRoute => {
          const base = { dst: d.dst, protocol: '180', metric: 20, flags: [] as string[] };
          if (d.type !== 'unicast') return { ...base, type: d.type };
          if (d.nexthops.length === 1) {
            const h = d.nexthops[0];
            return { ...base, gateway: h?.gateway, dev: h?.dev, flags: h?.onlink === true ? ['onlink'] : [] };
          }
          return { ...base, nexthops: d.nexthops.map((h) => ({ gateway: h.gateway, dev: h.dev, weight: 1, flags: h.onlink === true ? ['onlink'] : [] })) };
        });
        const ops = planRoutes(want.map(toDesired), had.map(toDesired).map((d) => ({ dst: d.dst, type: d.type, protocol: '180', metric: 20, flags: [] })), o);
        expect(ops.filter((op) => op.type === 'del').every((op) => !want.some((w) => `10.244.${w.n}.0/24` === op.route.dst))).toBe(true);
        expect(planRoutes(want.map(toDesired), kernelAfter, o)).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });
});

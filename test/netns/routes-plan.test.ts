// The route planner against the real kernel: apply a plan, read back our protocol's routes, and
// plan again -- nothing may be left to do. Foreign routes to the same prefixes survive.

import { describe, expect, it } from 'vitest';
import { execRunner as run } from '../../src/net/exec.js';
import { applyRouteOps, listRoutes } from '../../src/net/ip.js';
import { planRoutes, type DesiredRoute } from '../../src/routes/plan.js';
import { withWorld } from '../harness/netns.js';

const o = { protocol: 180, table: 254, metric: 20 };

describe('route reconcile in a namespace', () => {
  it('converges in one apply and then plans nothing, leaving foreign routes alone', async () => {
    await withWorld(async (w) => {
      const node = await w.netns('node');
      const a = await w.netns('peera');
      const b = await w.netns('peerb');
      await w.link(node, a, { addrA: ['192.0.2.1/24', 'fd00:192::1/64'], addrB: '192.0.2.2/24' });
      await w.link(node, b, { addrA: '198.51.100.1/24', addrB: '198.51.100.2/24' });
      // A foreign static route to a prefix we will also program.
      await w.exec(node, ['ip', 'route', 'add', '10.244.1.0/24', 'via', '198.51.100.2']);

      const desired: DesiredRoute[] = [
        { dst: '10.244.0.0/24', type: 'blackhole', nexthops: [] },
        { dst: 'fd00:10:244::/64', type: 'unreachable', nexthops: [] },
        { dst: '10.244.1.0/24', type: 'unicast', nexthops: [{ gateway: '192.0.2.2', dev: 'eth0' }] },
        { dst: '10.96.0.0/12', type: 'unicast', nexthops: [{ gateway: '198.51.100.2', dev: 'eth1' }, { gateway: '192.0.2.2', dev: 'eth0' }] },
        { dst: '10.244.2.0/24', type: 'unicast', nexthops: [{ gateway: '203.0.113.7', dev: 'eth0', onlink: true }] },
        { dst: '10.244.3.5/32', type: 'unicast', nexthops: [{ gateway: '192.0.2.2', dev: 'eth0' }] },
        { dst: 'fd00:10:244:1::/64', type: 'unicast', nexthops: [{ gateway: 'fd00:192::2', dev: 'eth0' }] },
      ];
      const observe = async () => [
        ...(await listRoutes(run, { family: 4, protocol: 180, table: 254, netns: node.name })),
        ...(await listRoutes(run, { family: 6, protocol: 180, table: 254, netns: node.name })),
      ];
      const first = planRoutes(desired, await observe(), o);
      expect(first).toHaveLength(desired.length);
      await applyRouteOps(run, first, { netns: node.name });
      expect(planRoutes(desired, await observe(), o)).toEqual([]);

      // The foreign route is still there beside ours (different protocol and metric).
      const all = await listRoutes(run, { family: 4, netns: node.name });
      // ip -json omits the default protocol (boot).
      expect(all.filter((r) => r.dst === '10.244.1.0/24').map((r) => r.protocol ?? 'boot').sort()).toEqual(['180', 'boot']);

      // Shrink: drop two routes, change one; the plan removes and replaces exactly those.
      const next = desired.filter((d) => d.dst !== '10.96.0.0/12' && d.dst !== 'fd00:10:244::/64').map((d) =>
        d.dst === '10.244.1.0/24' ? { ...d, nexthops: [{ gateway: '198.51.100.2', dev: 'eth1' }] } : d,
      );
      const second = planRoutes(next, await observe(), o);
      expect(second.map((op) => `${op.type} ${op.route.dst}`)).toEqual(['del 10.96.0.0/12', 'del fd00:10:244::/64', 'replace 10.244.1.0/24']);
      await applyRouteOps(run, second, { netns: node.name });
      expect(planRoutes(next, await observe(), o)).toEqual([]);

      // Withdraw everything: only our routes go.
      await applyRouteOps(run, planRoutes([], await observe(), o), { netns: node.name });
      expect(await observe()).toEqual([]);
      expect((await listRoutes(run, { family: 4, netns: node.name })).some((r) => r.dst === '10.244.1.0/24' && r.protocol === undefined)).toBe(true);
    });
  });
});

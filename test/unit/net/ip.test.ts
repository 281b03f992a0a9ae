import { describe, expect, it } from 'vitest';
import { fakeRunner } from '../../../src/net/fake-runner.js';
import { applyRouteOps, ipJson, listRoutes, renderRouteOp, type RouteOp } from '../../../src/net/ip.js';
import { ExecError } from '../../../src/net/runner.js';

describe('renderRouteOp', () => {
  const cases: [string, RouteOp, string][] = [
    [
      'unicast via gateway, onlink, our protocol and table',
      { type: 'replace', route: { dst: '10.244.1.0/24', nexthops: [{ gateway: '192.168.0.2', dev: 'eth0', onlink: true }], protocol: 180, table: 254 } },
      'route replace 10.244.1.0/24 proto 180 table 254 via 192.168.0.2 dev eth0 onlink',
    ],
    [
      'blackhole for the own podCIDR',
      { type: 'replace', route: { dst: '10.244.0.0/24', type: 'blackhole', protocol: 180 } },
      'route replace blackhole 10.244.0.0/24 proto 180',
    ],
    [
      'ECMP: one nexthop clause per path, weight defaults to 1',
      {
        type: 'replace',
        route: {
          dst: 'fd00:10:244:2::/64',
          nexthops: [
            { gateway: 'fd00::2', dev: 'eth0' },
            { gateway: 'fd00::3', dev: 'eth1', weight: 2 },
          ],
          protocol: 180,
        },
      },
      'route replace fd00:10:244:2::/64 proto 180 nexthop via fd00::2 dev eth0 weight 1 nexthop via fd00::3 dev eth1 weight 2',
    ],
    [
      'delete names one hop, never onlink',
      { type: 'del', route: { dst: '10.244.1.0/24', nexthops: [{ gateway: '192.168.0.2', dev: 'eth0', onlink: true }], protocol: 180 } },
      'route del 10.244.1.0/24 proto 180 via 192.168.0.2 dev eth0',
    ],
    [
      'host route to a pod via its veth, scope link',
      { type: 'replace', route: { dst: '10.244.0.5/32', nexthops: [{ dev: 'mrd0123456789a' }], scope: 'link' } },
      'route replace 10.244.0.5/32 scope link dev mrd0123456789a',
    ],
  ];
  it.each(cases)('%s', (_name, op, line) => {
    expect(renderRouteOp(op)).toBe(line);
  });

  it('refuses tokens that would split or comment out a batch line', () => {
    for (const dev of ['eth0 down', 'eth0\nroute flush all', 'eth#0', '']) {
      expect(() => renderRouteOp({ type: 'replace', route: { dst: '10.0.0.0/8', nexthops: [{ dev }] } })).toThrow(/unsafe token/);
    }
  });
});

describe('ip adapter', () => {
  it('applies all ops in one ip -force -batch exec inside the named namespace (a refused line does not stop the rest)', async () => {
    const f = fakeRunner();
    await applyRouteOps(
      f.run,
      [
        { type: 'replace', route: { dst: '10.1.0.0/24', type: 'blackhole' } },
        { type: 'del', route: { dst: '10.2.0.0/24' } },
      ],
      { netns: 'node-a' },
    );
    expect(f.calls).toEqual([
      { argv: ['ip', '-n', 'node-a', '-force', '-batch', '-'], input: 'route replace blackhole 10.1.0.0/24\nroute del 10.2.0.0/24\n' },
    ]);
  });

  it('runs nothing for an empty batch', async () => {
    const f = fakeRunner();
    await applyRouteOps(f.run, []);
    expect(f.calls).toEqual([]);
  });

  it('uses nsenter for a namespace given by path', async () => {
    const f = fakeRunner(() => ({ stdout: '[]' }));
    await listRoutes(f.run, { family: 6, protocol: 180, netns: '/var/run/netns/cni-1234' });
    expect(f.calls[0]).toEqual({ argv: ['ip', '-json', '-6', 'route', 'show', 'proto', '180'], netns: '/var/run/netns/cni-1234' });
  });

  it('parses ip -json and treats empty output as an empty list', async () => {
    const f = fakeRunner((c) => ({ stdout: c.argv.includes('link') ? '' : '[{"dst":"10.0.0.0/24","flags":[]}]\n' }));
    expect(await ipJson(f.run, ['route', 'show'])).toEqual([{ dst: '10.0.0.0/24', flags: [] }]);
    expect(await ipJson(f.run, ['link', 'show'])).toEqual([]);
  });

  it('surfaces the failing batch line in the ExecError', async () => {
    const f = fakeRunner(() => ({ exitCode: 1, stderr: 'Error: Nexthop has invalid gateway.\nCommand failed -:1\n' }));
    const err = await applyRouteOps(f.run, [{ type: 'replace', route: { dst: '10.9.0.0/24', nexthops: [{ gateway: '1.2.3.4' }] } }], {
      netns: 'n',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExecError);
    const e = err as ExecError;
    expect(e.code).toBe('EXEC_FAILED');
    expect(e.exitCode).toBe(1);
    expect(e.argv).toEqual(['ip', '-n', 'n', '-force', '-batch', '-']);
    expect(e.message).toContain('Command failed -:1');
  });
});

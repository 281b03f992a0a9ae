// meridian-cni end to end, per spec version: ADD -> traffic -> CHECK -> DEL -> DEL again, with
// the built binary run inside a node namespace as a runtime would (test/harness/cni-runtime.ts).

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CniRuntime, CniRuntimeError, type NetList } from '../harness/cni-runtime.js';
import { withCniNode, NODE_IP4, NODE_IP6, ping, UP_IP4, UPLINK_MTU } from '../harness/cni-node.js';

import { podVethName } from '../../src/cni/pod-veth-name.js';

function list(version: string, dataDir: string, ranges: unknown, extra: Record<string, unknown> = {}): NetList {
  return { cniVersion: version, name: 'meridian', plugins: [{ type: 'meridian-cni', ...extra, ipam: { ranges, dataDir } }] };
}

describe.each(['0.4.0', '1.0.0', '1.1.0'])('meridian-cni at cniVersion %s', (version) => {
  it('wires pods that reach the node, each other and beyond; CHECK passes; DEL twice cleans up', async () => {
    await withCniNode(async (w, n) => {
      const rt = new CniRuntime({ nodeNs: n.node.name, list: list(version, n.dataDir, [[{ subnet: '10.244.1.0/24' }]]) });
      const p1 = await n.pod();
      const p2 = await n.pod();
      const a1 = { containerId: 'c-one', netns: p1.path };
      const a2 = { containerId: 'c-two', netns: p2.path };
      const r1 = await rt.add(a1);
      await rt.add(a2);

      expect(r1['cniVersion']).toBe(version);
      const hostVeth = podVethName('default', 'c-one');
      expect(r1['interfaces']).toEqual([
        { name: hostVeth, mac: 'ee:ee:ee:ee:ee:ee', ...(version === '1.1.0' ? { mtu: UPLINK_MTU } : {}) },
        expect.objectContaining({ name: 'eth0', sandbox: p1.path }),
      ]);
      expect(r1['ips']).toEqual([
        { ...(version === '0.4.0' ? { version: '4' } : {}), address: '10.244.1.2/32', gateway: '169.254.1.1', interface: 1 },
      ]);
      expect(r1['routes']).toEqual([{ dst: '0.0.0.0/0', gw: '169.254.1.1' }]);

      // MTU defaults to the uplink's; the pod end carries it too.
      const link = await w.exec(p1.ns, ['ip', '-json', 'link', 'show', 'dev', 'eth0']);
      expect((JSON.parse(link.stdout) as { mtu: number }[])[0]?.mtu).toBe(UPLINK_MTU);

      expect(await ping(w, p1.ns, NODE_IP4)).toBe(true);
      expect(await ping(w, n.node, '10.244.1.2')).toBe(true);
      expect(await ping(w, p1.ns, '10.244.1.3')).toBe(true);
      expect(await ping(w, p2.ns, '10.244.1.2')).toBe(true);
      expect(await ping(w, p1.ns, UP_IP4)).toBe(true);

      await rt.check(a1);
      await rt.check(a2);

      await rt.del(a1);
      await rt.del(a1);
      expect(await n.hostVeths()).toEqual([podVethName('default', 'c-two')]);
      expect((await n.allocations('meridian')).map((a) => a.ip)).toEqual(['10.244.1.3']);
      const eth = await w.exec(p1.ns, ['ip', 'link', 'show', 'dev', 'eth0'], { okExitCodes: [1] });
      expect(eth.exitCode).toBe(1);
      // DEL with no CNI_NETNS at all (the runtime's sandbox is gone).
      await rt.del(a2, { netns: undefined });
      expect(await n.hostVeths()).toEqual([]);
      expect(await n.allocations('meridian')).toEqual([]);
      const routes = await w.exec(n.node, ['ip', 'route', 'show', 'proto', '181']);
      expect(routes.stdout.trim()).toBe('');
    });
  });
});

describe('meridian-cni dual-stack and CHECK', () => {
  it('gives a /32 and a /128 with IPv6 default route via the host link-local, reachable both ways', async () => {
    await withCniNode(async (w, n) => {
      const rt = new CniRuntime({
        nodeNs: n.node.name,
        list: list('1.1.0', n.dataDir, [[{ subnet: '10.244.1.0/24' }], [{ subnet: 'fd00:10:244:1::/64' }]], { mtu: 1400 }),
      });
      const p1 = await n.pod();
      const p2 = await n.pod();
      const r1 = await rt.add({ containerId: 'c1', netns: p1.path });
      await rt.add({ containerId: 'c2', netns: p2.path });
      expect(r1['ips']).toEqual([
        { address: '10.244.1.2/32', gateway: '169.254.1.1', interface: 1 },
        { address: 'fd00:10:244:1::2/128', gateway: 'fe80::ecee:eeff:feee:eeee', interface: 1 },
      ]);
      expect(r1['routes']).toEqual([
        { dst: '0.0.0.0/0', gw: '169.254.1.1' },
        { dst: '::/0', gw: 'fe80::ecee:eeff:feee:eeee' },
      ]);
      expect((r1['interfaces'] as { mtu: number }[])[1]?.mtu).toBe(1400);
      // No DAD wait: usable at once after ADD.
      expect(await ping(w, p1.ns, NODE_IP6)).toBe(true);
      expect(await ping(w, p1.ns, 'fd00:10:244:1::3')).toBe(true);
      expect(await ping(w, n.node, 'fd00:10:244:1::2')).toBe(true);
      await rt.check({ containerId: 'c1', netns: p1.path });
      await rt.del({ containerId: 'c1', netns: p1.path });
      await rt.del({ containerId: 'c2', netns: p2.path });
      expect(await n.hostVeths()).toEqual([]);
    });
  });

  it('CHECK fails on a missing host route, proxy_arp off, a missing pod route and a lost IPAM record', async () => {
    await withCniNode(async (w, n) => {
      const rt = new CniRuntime({ nodeNs: n.node.name, list: list('1.0.0', n.dataDir, [[{ subnet: '10.244.1.0/24' }]]) });
      const p = await n.pod();
      const a = { containerId: 'c1', netns: p.path };
      await rt.add(a);
      const veth = podVethName('default', 'c1');
      const checkError = async (): Promise<string> => {
        const e = await rt.check(a).then(
          () => undefined,
          (x: unknown) => x,
        );
        expect(e).toBeInstanceOf(CniRuntimeError);
        const run = (e as CniRuntimeError).run;
        expect(run.json?.['code']).toBe(102);
        return String(run.json?.['msg']);
      };
      await rt.check(a);

      await w.exec(n.node, ['ip', 'route', 'del', '10.244.1.2/32', 'dev', veth]);
      expect(await checkError()).toContain('host route to 10.244.1.2');
      await w.exec(n.node, ['ip', 'route', 'add', '10.244.1.2/32', 'dev', veth, 'scope', 'link', 'proto', '181']);
      await rt.check(a);

      await w.sysctl(n.node, { [`net/ipv4/conf/${veth}/proxy_arp`]: 0 });
      expect(await checkError()).toContain('proxy_arp');
      await w.sysctl(n.node, { [`net/ipv4/conf/${veth}/proxy_arp`]: 1 });

      await w.exec(p.ns, ['ip', 'route', 'del', 'default']);
      expect(await checkError()).toContain('default route via 169.254.1.1');
      await w.exec(p.ns, ['ip', 'route', 'add', 'default', 'via', '169.254.1.1', 'dev', 'eth0']);
      await rt.check(a);

      // The runtime's DEL path through another container id releases nothing of ours.
      await rt.del({ containerId: 'someone-else', netns: p.path });
      await rt.check(a);
      // The IPAM record is untracked state that CHECK verifies too.
      const file = join(n.dataDir, 'meridian', 'allocations.json');
      const doc = JSON.parse(await readFile(file, 'utf8')) as { allocations: unknown[] };
      await writeFile(file, JSON.stringify({ ...doc, allocations: [] }));
      expect(await checkError()).toContain('IPAM holds no reservation of 10.244.1.2');
    });
  });
});

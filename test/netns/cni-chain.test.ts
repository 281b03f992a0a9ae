// meridian-cni chained the way Kubernetes documents it: in a conflist before Debian's portmap
// (capability portMappings, hostPort) and bandwidth (capability bandwidth), beside loopback (its own
// network on ifname lo, as containerd runs it). Debian's plugins are 1.1.1 and speak <= 1.0.0.
// CHECK is disabled for the list, as it must be with that portmap (its CHECK looks for an
// ip6tables chain even for IPv4-only pods; fixed upstream in v1.3.0).

import { describe, expect, it } from 'vitest';
import { CniRuntime, type NetList } from '../harness/cni-runtime.js';
import { withCniNode, NODE_IP4, ping } from '../harness/cni-node.js';

import { waitFor } from '../harness/wait.js';
import { podVethName } from '../../src/cni/pod-veth-name.js';

const SERVER = "require('net').createServer((s) => s.end('hello from pod\\n')).listen(80, '0.0.0.0')";
const client = (host: string, port: number): string =>
  `const s = require('net').connect(${port}, '${host}'); let d = ''; s.on('data', (b) => (d += b)); s.on('end', () => { process.stdout.write(d); process.exit(0); }); s.on('error', (e) => { console.error(e.message); process.exit(1); }); setTimeout(() => process.exit(2), 3000);`;

describe('meridian-cni chained with portmap, bandwidth and loopback at cniVersion 1.0.0', () => {
  it('hostPort reaches the pod from another namespace, bandwidth installs its qdiscs, loopback is up; DEL undoes all', async () => {
    await withCniNode(async (w, n) => {
      const l: NetList = {
        cniVersion: '1.0.0',
        name: 'meridian',
        disableCheck: true,
        plugins: [
          { type: 'meridian-cni', ipam: { ranges: [[{ subnet: '10.244.1.0/24' }]], dataDir: n.dataDir } },
          { type: 'portmap', capabilities: { portMappings: true }, snat: true },
          { type: 'bandwidth', capabilities: { bandwidth: true } },
        ],
      };
      const lo = new CniRuntime({ nodeNs: n.node.name, list: { cniVersion: '1.0.0', name: 'cni-loopback', plugins: [{ type: 'loopback' }] } });
      const rt = new CniRuntime({ nodeNs: n.node.name, list: l });
      const p = await n.pod();
      const a = {
        containerId: 'web',
        netns: p.path,
        capabilityArgs: {
          portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }],
          bandwidth: { ingressRate: 10_000_000, ingressBurst: 100_000, egressRate: 10_000_000, egressBurst: 100_000 },
        },
      };
      await w.exec(p.ns, ['ip', 'link', 'set', 'lo', 'down']);
      await lo.add({ containerId: 'web', netns: p.path, ifname: 'lo' });
      expect((await w.exec(p.ns, ['ip', '-o', 'link', 'show', 'dev', 'lo'])).stdout).toMatch(/<LOOPBACK,UP/);
      const result = await rt.add(a);
      // The final result went through portmap and bandwidth and still describes our attachment.
      expect(result['ips']).toEqual([{ address: '10.244.1.2/32', gateway: '169.254.1.1', interface: 1 }]);
      expect(await ping(w, p.ns, '127.0.0.1')).toBe(true);
      expect(await ping(w, p.ns, NODE_IP4)).toBe(true);

      w.spawn(p.ns, [process.execPath, '-e', SERVER]);
      await waitFor(async () => (await w.exec(p.ns, ['ss', '-ltn'])).stdout.includes(':80 '), { timeoutMs: 5000, what: 'the pod server to listen' });
      // From another namespace through the node's address: PREROUTING DNAT, forwarded to the pod.
      const viaUp = await w.exec(n.up, [process.execPath, '-e', client(NODE_IP4, 8080)]);
      expect(viaUp.stdout).toBe('hello from pod\n');
      // From the node namespace itself: OUTPUT DNAT.
      const viaNode = await w.exec(n.node, [process.execPath, '-e', client(NODE_IP4, 8080)]);
      expect(viaNode.stdout).toBe('hello from pod\n');

      // Our CHECK against the chain's final result tolerates what portmap and bandwidth added.
      await rt.check(a, { types: ['meridian-cni', 'bandwidth'] });

      const veth = podVethName('default', 'web');
      const qdisc = await w.exec(n.node, ['tc', 'qdisc', 'show', 'dev', veth]);
      expect(qdisc.stdout).toMatch(/qdisc tbf/);
      const links = (await w.exec(n.node, ['ip', '-o', 'link', 'show'])).stdout;
      expect(links).toMatch(/bwp/); // bandwidth's ifb for egress shaping

      await rt.del(a);
      await lo.del({ containerId: 'web', netns: p.path, ifname: 'lo' });
      expect(await n.hostVeths()).toEqual([]);
      expect(await n.allocations('meridian')).toEqual([]);
      expect((await w.exec(n.node, ['ip', '-o', 'link', 'show'])).stdout).not.toMatch(/bwp/);
      const nat = await w.exec(n.node, ['iptables-save', '-t', 'nat']);
      expect(nat.stdout).not.toMatch(/--dport 8080/);
      const again = await w.exec(n.up, [process.execPath, '-e', client(NODE_IP4, 8080)], { okExitCodes: [1, 2] });
      expect(again.exitCode).not.toBe(0);
    });
  });
});

// Failure paths of meridian-cni in namespaces: an ADD failing after the veth exists leaves
// nothing; CNI_IFNAME already present is refused without harm; a killed ADD (stale lock, stale
// veth, allocation without wiring) is recovered by the next ADD or DEL; 50 parallel ADDs get
// distinct addresses and 50 DELs leave nothing.

import { writeFile, mkdir, access } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CniRuntime, CniRuntimeError, MERIDIAN_CNI, type NetList } from '../harness/cni-runtime.js';
import { cniNode, ping, NODE_IP4 } from '../harness/cni-node.js';
import { withWorld } from '../harness/netns.js';
import { podVethName } from '../../src/cni/pod-veth-name.js';

const list = (dataDir: string, subnet = '10.244.1.0/24'): NetList => ({
  cniVersion: '1.0.0',
  name: 'meridian',
  plugins: [{ type: 'meridian-cni', ipam: { ranges: [[{ subnet }]], dataDir } }],
});

async function addError(rt: CniRuntime, a: { containerId: string; netns: string }): Promise<CniRuntimeError> {
  const e = await rt.add(a).then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(CniRuntimeError);
  return e as CniRuntimeError;
}

describe('meridian-cni failure handling', () => {
  it('undoes a half-done ADD: veth created, pod side fails -> no veth, no route, no allocation', async () => {
    await withWorld(async (w) => {
      const n = await cniNode(w);
      try {
        const rt = new CniRuntime({ nodeNs: n.node.name, list: list(n.dataDir) });
        const p = await n.pod();
        // A default route already in the pod: our pod batch's `route add default` fails after the
        // host side (veth, host route, sysctls) is done.
        await w.exec(p.ns, ['ip', 'route', 'add', 'blackhole', 'default']);
        const e = await addError(rt, { containerId: 'c1', netns: p.path });
        expect(e.run.json?.['code']).toBe(101);
        expect(await n.hostVeths()).toEqual([]);
        expect(await n.allocations('meridian')).toEqual([]);
        expect((await w.exec(n.node, ['ip', 'route', 'show', 'proto', '181'])).stdout.trim()).toBe('');
        expect((await w.exec(p.ns, ['ip', '-o', 'link', 'show'])).stdout).not.toContain('eth0');
        // The runtime DELs after a failed ADD; that must succeed too.
        await rt.del({ containerId: 'c1', netns: p.path });
      } finally {
        await n.dispose();
      }
    });
  });

  it('refuses CNI_IFNAME that already exists in the pod (code 103) and leaves it alone', async () => {
    await withWorld(async (w) => {
      const n = await cniNode(w);
      try {
        const rt = new CniRuntime({ nodeNs: n.node.name, list: list(n.dataDir) });
        const p = await n.pod();
        const other = await w.netns('other');
        await w.link(p.ns, other, { nameA: 'eth0', addrA: '192.0.2.1/24' });
        const e = await addError(rt, { containerId: 'c1', netns: p.path });
        expect(e.run.json?.['code']).toBe(103);
        expect(await n.hostVeths()).toEqual([]);
        expect(await n.allocations('meridian')).toEqual([]);
        expect((await w.exec(p.ns, ['ip', '-o', 'addr', 'show', 'dev', 'eth0'])).stdout).toContain('192.0.2.1/24');
      } finally {
        await n.dispose();
      }
    });
  });

  it('recovers from a killed ADD: stale lock of a dead pid, stale veth of the same attachment', async () => {
    await withWorld(async (w) => {
      const n = await cniNode(w);
      try {
        const rt = new CniRuntime({ nodeNs: n.node.name, list: list(n.dataDir) });
        const p = await n.pod();
        // A lock file left by a process that is gone.
        const dead = spawn('true');
        await new Promise((r) => dead.on('exit', r));
        await mkdir(join(n.dataDir, 'meridian'), { recursive: true });
        await writeFile(join(n.dataDir, 'meridian', 'lock'), String(dead.pid));
        // The veth the killed ADD had created, with the deterministic name.
        const stale = podVethName('default', 'c1');
        const junk = await w.netns('junk');
        await w.link(n.node, junk, { nameA: stale });
        const r = await rt.add({ containerId: 'c1', netns: p.path });
        expect((r['ips'] as { address: string }[])[0]?.address).toBe('10.244.1.2/32');
        expect(await ping(w, p.ns, NODE_IP4)).toBe(true);
        await expect(access(join(n.dataDir, 'meridian', 'lock'))).rejects.toThrow();
        await rt.check({ containerId: 'c1', netns: p.path });
        // Idempotent allocation: a repeated ADD of the same attachment gets the same address.
        const again = await rt.add({ containerId: 'c1', netns: p.path });
        expect(again['ips']).toEqual(r['ips']);
        await rt.del({ containerId: 'c1', netns: p.path });
        expect(await n.hostVeths()).toEqual([]);
      } finally {
        await n.dispose();
      }
    });
  });

  it('SIGKILLed ADDs at random points are cleaned up by DEL', async () => {
    await withWorld(async (w) => {
      const n = await cniNode(w);
      try {
        const rt = new CniRuntime({ nodeNs: n.node.name, list: list(n.dataDir) });
        const pods = await Promise.all([0, 1, 2, 3, 4, 5].map(() => n.pod()));
        const conf = JSON.stringify(rt.request(rt.opts.list.plugins[0] as Record<string, unknown>, {}));
        await Promise.all(
          pods.map(async (p, i) => {
            const child = spawn('ip', ['netns', 'exec', n.node.name, process.execPath, MERIDIAN_CNI], {
              env: { PATH: process.env['PATH'], CNI_COMMAND: 'ADD', CNI_CONTAINERID: `k${i}`, CNI_NETNS: p.path, CNI_IFNAME: 'eth0', CNI_PATH: '/usr/lib/cni' },
              stdio: ['pipe', 'ignore', 'ignore'],
            });
            const closed = new Promise((r) => child.on('close', r));
            child.stdin.on('error', () => undefined);
            child.stdin.end(conf);
            await new Promise((r) => setTimeout(r, 30 + i * 25));
            // `ip netns exec` execs in place, so this PID is the plugin's own (ended by PID).
            child.kill('SIGKILL');
            await closed;
          }),
        );
        for (const [i, p] of pods.entries()) await rt.del({ containerId: `k${i}`, netns: p.path });
        expect(await n.hostVeths()).toEqual([]);
        expect(await n.allocations('meridian')).toEqual([]);
        // And the network still works afterwards (no lock left held by a dead pid).
        const p = await n.pod();
        await rt.add({ containerId: 'after', netns: p.path });
        expect(await ping(w, p.ns, NODE_IP4)).toBe(true);
        await rt.del({ containerId: 'after', netns: p.path });
      } finally {
        await n.dispose();
      }
    });
  });

  it('50 concurrent ADDs get 50 distinct addresses; 50 concurrent DELs leave nothing', async () => {
    await withWorld(async (w) => {
      const n = await cniNode(w);
      try {
        const rt = new CniRuntime({ nodeNs: n.node.name, list: list(n.dataDir) });
        const pods = [];
        for (let i = 0; i < 50; i++) pods.push(await n.pod());
        const results = await Promise.all(pods.map((p, i) => rt.add({ containerId: `c${i}`, netns: p.path })));
        const ips = results.map((r) => (r['ips'] as { address: string }[])[0]?.address);
        expect(new Set(ips).size).toBe(50);
        expect((await n.allocations('meridian')).length).toBe(50);
        expect((await n.hostVeths()).length).toBe(50);
        expect(await ping(w, pods[0]!.ns, (ips[49] as string).split('/')[0] as string)).toBe(true);
        await Promise.all(pods.map((p, i) => rt.del({ containerId: `c${i}`, netns: p.path })));
        expect(await n.hostVeths()).toEqual([]);
        expect(await n.allocations('meridian')).toEqual([]);
      } finally {
        await n.dispose();
      }
    });
  }, 120_000);
});

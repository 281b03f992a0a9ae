// Failure paths of meridian-cni in namespaces: an ADD failing after the veth exists leaves
// nothing; CNI_IFNAME already present is refused without harm unless it is the same attachment's
// (a repeated ADD, answered with the same result); a stale lock and a stale veth are recovered by
// the next ADD; a corrupt IPAM state file fails ADD but not DEL; DEL finds the veth through
// prevResult when the record and CNI_ARGS are gone; 50 parallel ADDs get distinct addresses and 50
// DELs leave nothing. Killed ADDs: cni-crash.test.ts.

import { writeFile, mkdir, access, readdir, readFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CniRuntime, CniRuntimeError, type Attach, type NetList } from '../harness/cni-runtime.js';
import { withCniNode, ping, NODE_IP4 } from '../harness/cni-node.js';
import type { Netns, World } from '../harness/netns.js';
import { podVethName } from '../../src/cni/pod-veth-name.js';

const list = (dataDir: string, subnet = '10.244.1.0/24'): NetList => ({
  cniVersion: '1.0.0',
  name: 'meridian',
  plugins: [{ type: 'meridian-cni', ipam: { ranges: [[{ subnet }]], dataDir } }],
});

async function addError(rt: CniRuntime, a: Attach): Promise<CniRuntimeError> {
  const e = await rt.add(a).then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(CniRuntimeError);
  return e as CniRuntimeError;
}

async function ifindex(w: World, ns: Netns, dev: string): Promise<number> {
  return (JSON.parse((await w.exec(ns, ['ip', '-json', 'link', 'show', 'dev', dev])).stdout) as { ifindex: number }[])[0]?.ifindex ?? -1;
}

describe('meridian-cni failure handling', () => {
  it('undoes a half-done ADD: veth created, pod side fails -> no veth, no route, no allocation', async () => {
    await withCniNode(async (w, n) => {
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
    });
  });

  it('refuses CNI_IFNAME that already exists in the pod (code 103) and leaves it alone', async () => {
    await withCniNode(async (w, n) => {
      const rt = new CniRuntime({ nodeNs: n.node.name, list: list(n.dataDir) });
      const p = await n.pod();
      const other = await w.netns('other');
      await w.link(p.ns, other, { nameA: 'eth0', addrA: '192.0.2.1/24' });
      const e = await addError(rt, { containerId: 'c1', netns: p.path });
      expect(e.run.json?.['code']).toBe(103);
      expect(await n.hostVeths()).toEqual([]);
      expect(await n.allocations('meridian')).toEqual([]);
      expect((await w.exec(p.ns, ['ip', '-o', 'addr', 'show', 'dev', 'eth0'])).stdout).toContain('192.0.2.1/24');
    });
  });

  it("refuses another attachment's CNI_IFNAME (code 103) even when its host veth name is taken, and leaves that pod working", async () => {
    await withCniNode(async (w, n) => {
      const rt = new CniRuntime({ nodeNs: n.node.name, list: list(n.dataDir) });
      const p = await n.pod();
      const web = { namespace: 'x', name: 'web' };
      const first = await rt.add({ containerId: 's1', netns: p.path, pod: web });
      const index = await ifindex(w, p.ns, 'eth0');
      // Another container ID for the same pod and netns: same host veth name, and eth0 exists.
      const e = await addError(rt, { containerId: 's2', netns: p.path, pod: web });
      expect(e.run.json?.['code']).toBe(103);
      expect(await ifindex(w, p.ns, 'eth0')).toBe(index);
      expect(await n.hostVeths()).toEqual([podVethName('x', 'web')]);
      expect((await n.allocations('meridian')).map((a) => a.containerId)).toEqual(['s1']);
      expect(await ping(w, p.ns, NODE_IP4)).toBe(true);
      await rt.check({ containerId: 's1', netns: p.path, pod: web });
      expect(first['ips']).toHaveLength(1);
    });
  });

  it('recovers from a killed ADD: stale lock of a dead pid, stale veth of the same attachment', async () => {
    await withCniNode(async (w, n) => {
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
      // A repeated ADD of the same attachment without DEL (which runtimes should not send) gets
      // the same result, and the working interface is left as it is, not re-created.
      const before = await ifindex(w, p.ns, 'eth0');
      const again = await rt.add({ containerId: 'c1', netns: p.path });
      expect(again).toEqual(r);
      expect(await ifindex(w, p.ns, 'eth0')).toBe(before);
      expect(await ping(w, p.ns, NODE_IP4)).toBe(true);
      await rt.del({ containerId: 'c1', netns: p.path });
      expect(await n.hostVeths()).toEqual([]);
    });
  });

  it('a corrupt IPAM state file: ADD fails with 104; DEL moves it aside, rebuilds it from the pod routes and removes the veth', async () => {
    await withCniNode(async (w, n) => {
      const rt = new CniRuntime({ nodeNs: n.node.name, list: list(n.dataDir) });
      const [p1, p2, p3] = [await n.pod(), await n.pod(), await n.pod()];
      // c2 first: it gets the pool's first address, which an ADD starting from an empty state
      // would hand out again.
      const r2 = await rt.add({ containerId: 'c2', netns: p2.path });
      const r1 = await rt.add({ containerId: 'c1', netns: p1.path });
      const ip2 = (r2['ips'] as { address: string }[])[0]?.address.split('/')[0] as string;
      const dir = join(n.dataDir, 'meridian');
      await writeFile(join(dir, 'allocations.json'), '{"allocations": [{"containerId": "c1", "if');

      const e = await addError(rt, { containerId: 'c3', netns: p3.path });
      expect(e.run.json).toMatchObject({ code: 104, msg: expect.stringContaining('is corrupt') });
      expect(await readdir(dir)).toEqual(['allocations.json']);

      // DEL with prevResult, as the runtime sends it from its cache.
      await rt.del({ containerId: 'c1', netns: p1.path });
      const files = (await readdir(dir)).sort();
      expect(files).toHaveLength(2);
      expect(files[1]).toMatch(/^allocations\.json\.corrupt-\d+$/);
      expect(await readFile(join(dir, files[1] as string), 'utf8')).toContain('"if');
      expect(await n.hostVeths()).toEqual([podVethName('default', 'c2')]);
      // c2's address stays reserved, rebuilt from its host route; c1's is free.
      expect((await n.allocations('meridian')).map((a) => a.ip)).toEqual([ip2]);
      expect(await ping(w, n.node, ip2)).toBe(true);

      // So the retried ADD does not hand out c2's address.
      expect(ip2).toBe('10.244.1.2');
      const r3 = await rt.add({ containerId: 'c3', netns: p3.path });
      expect(r3['ips']).toEqual(r1['ips']);
      expect(await ping(w, p3.ns, NODE_IP4)).toBe(true);
      expect(await ping(w, p2.ns, NODE_IP4)).toBe(true);
    });
  });

  it("DEL finds the veth through prevResult's host interface when the IPAM record and CNI_ARGS are gone", async () => {
    await withCniNode(async (w, n) => {
      const rt = new CniRuntime({ nodeNs: n.node.name, list: list(n.dataDir) });
      const p = await n.pod();
      const web = { namespace: 'x', name: 'web' };
      await rt.add({ containerId: 's1', netns: p.path, pod: web });
      await writeFile(join(n.dataDir, 'meridian', 'allocations.json'), JSON.stringify({ allocations: [], lastReserved: {} }));
      // Same attachment (the runtime's cached prevResult), but no K8S_POD_* in CNI_ARGS: the
      // derived name would be the container-ID one.
      await rt.del({ containerId: 's1', netns: p.path, pod: null });
      expect(await n.hostVeths()).toEqual([]);
      expect((await w.exec(n.node, ['ip', 'route', 'show', 'proto', '181'])).stdout.trim()).toBe('');
    });
  });

  it('50 concurrent ADDs get 50 distinct addresses; 50 concurrent DELs leave nothing', async () => {
    await withCniNode(async (w, n) => {
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
    });
  }, 120_000);
});

// ADDs killed at a known point, through the plugin's test-only fault hook (MERIDIAN_CNI_FAULT,
// src/cni/fault.ts: the plugin SIGKILLs itself there), so each test starts from exactly the state
// that crash leaves: an allocation without wiring ('after-alloc'), or the veth pair, host route
// and allocation with a bare pod end ('after-host-wiring'). Then DEL, a repeated ADD, GC, or the
// sweep must recover it with nothing leaked: no veth, no pod route, no allocation, no lock file.

import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CniRuntime, invokePlugin, MERIDIAN_CNI, REF_PLUGIN_DIR, type NetList, type PluginRun } from '../harness/cni-runtime.js';
import { withCniNode, NODE_IP4, ping, type CniNode } from '../harness/cni-node.js';
import type { World } from '../harness/netns.js';
import { waitFor } from '../harness/wait.js';
import { podVethName } from '../../src/cni/pod-veth-name.js';

const list = (dataDir: string, cniVersion = '1.0.0'): NetList => ({
  cniVersion,
  name: 'meridian',
  plugins: [{ type: 'meridian-cni', ipam: { ranges: [[{ subnet: '10.244.1.0/24' }]], dataDir } }],
});

/** ADD as CniRuntime sends it (pod default/<containerId>), with the fault hook armed. */
function killedAdd(rt: CniRuntime, containerId: string, netns: string, point: string): Promise<PluginRun> {
  return invokePlugin({
    nodeNs: rt.opts.nodeNs,
    binary: MERIDIAN_CNI,
    env: {
      CNI_COMMAND: 'ADD',
      CNI_CONTAINERID: containerId,
      CNI_NETNS: netns,
      CNI_IFNAME: 'eth0',
      CNI_PATH: REF_PLUGIN_DIR,
      CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=${containerId}`,
      MERIDIAN_CNI_FAULT: point,
    },
    stdin: JSON.stringify(rt.request(rt.opts.list.plugins[0] as Record<string, unknown>, {})),
  });
}

const podRoutes = async (w: World, n: CniNode): Promise<string> => (await w.exec(n.node, ['ip', 'route', 'show', 'proto', '181'])).stdout.trim();

/** Nothing of any attachment left: no veth, no pod route, no allocation, no lock or private file. */
async function expectNothingLeft(w: World, n: CniNode): Promise<void> {
  expect(await n.hostVeths()).toEqual([]);
  expect(await podRoutes(w, n)).toBe('');
  expect(await n.allocations('meridian')).toEqual([]);
  expect(await readdir(join(n.dataDir, 'meridian'))).toEqual(['allocations.json']);
}

/** The plugin died by its own SIGKILL: no exit status (invokePlugin reports -1), nothing printed. */
function expectKilled(r: PluginRun): void {
  expect(r.code).toBe(-1);
  expect(r.stdout).toBe('');
}

describe('meridian-cni killed mid-ADD', () => {
  it('after-alloc: an allocation without wiring, which DEL releases', async () => {
    await withCniNode(async (w, n) => {
      const rt = new CniRuntime({ nodeNs: n.node.name, list: list(n.dataDir) });
      const p = await n.pod();
      expectKilled(await killedAdd(rt, 'k1', p.path, 'after-alloc'));
      expect((await n.allocations('meridian')).map((a) => [a.containerId, a.ip])).toEqual([['k1', '10.244.1.2']]);
      expect(await n.hostVeths()).toEqual([]);
      // The kill came after the lock was released.
      expect(await readdir(join(n.dataDir, 'meridian'))).toEqual(['allocations.json']);
      await rt.del({ containerId: 'k1', netns: p.path });
      await expectNothingLeft(w, n);
    });
  });

  it('after-host-wiring: veth pair, host route and allocation with a bare pod end, which DEL removes', async () => {
    await withCniNode(async (w, n) => {
      const rt = new CniRuntime({ nodeNs: n.node.name, list: list(n.dataDir) });
      const p = await n.pod();
      expectKilled(await killedAdd(rt, 'k1', p.path, 'after-host-wiring'));
      expect(await n.hostVeths()).toEqual([podVethName('default', 'k1')]);
      expect(await podRoutes(w, n)).toContain('10.244.1.2');
      expect((await w.exec(p.ns, ['ip', '-o', 'addr', 'show', 'dev', 'eth0'])).stdout).not.toContain('10.244.1.2');
      expect(await n.allocations('meridian')).toHaveLength(1);
      await rt.del({ containerId: 'k1', netns: p.path });
      await expectNothingLeft(w, n);
      expect((await w.exec(p.ns, ['ip', '-o', 'link', 'show'])).stdout).not.toContain('eth0');
    });
  });

  it('after-host-wiring, then the same ADD again without DEL: completed, with the same address', async () => {
    await withCniNode(async (w, n) => {
      const rt = new CniRuntime({ nodeNs: n.node.name, list: list(n.dataDir) });
      const p = await n.pod();
      expectKilled(await killedAdd(rt, 'k1', p.path, 'after-host-wiring'));
      const r = await rt.add({ containerId: 'k1', netns: p.path });
      expect((r['ips'] as { address: string }[])[0]?.address).toBe('10.244.1.2/32');
      expect(await ping(w, p.ns, NODE_IP4)).toBe(true);
      await rt.check({ containerId: 'k1', netns: p.path });
      await rt.del({ containerId: 'k1', netns: p.path });
      await expectNothingLeft(w, n);
    });
  });

  it('GC releases and unwires killed ADDs the runtime does not list', async () => {
    await withCniNode(async (w, n) => {
      const rt = new CniRuntime({ nodeNs: n.node.name, list: list(n.dataDir, '1.1.0') });
      const [p1, p2] = [await n.pod(), await n.pod()];
      expectKilled(await killedAdd(rt, 'k1', p1.path, 'after-alloc'));
      expectKilled(await killedAdd(rt, 'k2', p2.path, 'after-host-wiring'));
      expect(await n.allocations('meridian')).toHaveLength(2);
      expect(await n.hostVeths()).toEqual([podVethName('default', 'k2')]);
      await rt.gc([]);
      await expectNothingLeft(w, n);
    });
  });

  it('the sweep releases killed ADDs whose sandbox is gone, even while the runtime still lists them', async () => {
    await withCniNode(async (w, n) => {
      const rt = new CniRuntime({ nodeNs: n.node.name, list: list(n.dataDir, '1.1.0') });
      const [p1, p2] = [await n.pod(), await n.pod()];
      expectKilled(await killedAdd(rt, 'k1', p1.path, 'after-alloc'));
      expectKilled(await killedAdd(rt, 'k2', p2.path, 'after-host-wiring'));
      // The runtime removes the sandboxes (the veth pair dies with its pod end) but never DELs.
      for (const p of [p1, p2]) await w.exec(n.node, ['ip', 'netns', 'del', p.ns.name]);
      // The kernel tears a deleted netns down asynchronously.
      await waitFor(async () => (await n.hostVeths()).length === 0, { timeoutMs: 10_000, what: "k2's veth to go with its netns" });
      // Older than the sweep's grace period, as a leak found later would be.
      const file = join(n.dataDir, 'meridian', 'allocations.json');
      const doc = JSON.parse(await readFile(file, 'utf8')) as { allocations: { at: number }[] };
      await writeFile(file, JSON.stringify({ ...doc, allocations: doc.allocations.map((a) => ({ ...a, at: 0 })) }));
      await rt.gc([
        { containerId: 'k1', netns: p1.path },
        { containerId: 'k2', netns: p2.path },
      ]);
      await expectNothingLeft(w, n);
      // And the network still works afterwards.
      const p = await n.pod();
      await rt.add({ containerId: 'after', netns: p.path });
      expect(await ping(w, p.ns, NODE_IP4)).toBe(true);
    });
  });
});

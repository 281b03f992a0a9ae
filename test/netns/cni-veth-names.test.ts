// Host veth names follow the pod (K8S_POD_NAMESPACE/K8S_POD_NAME in CNI_ARGS), so the agent's
// policy engine finds them from the Pod object. In namespaces: a pod's eth0 veth is
// podVethName(namespace, name); a new sandbox of the same pod takes the veth over and the old
// sandbox's late DEL leaves it alone; a second interface gets its own name; without CNI_ARGS the
// container-ID name is used; records written before names were recorded still work.

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CniRuntime, type NetList } from '../harness/cni-runtime.js';
import { withCniNode, NODE_IP4, ping } from '../harness/cni-node.js';

import { containerVethName, hostVethName } from '../../src/cni/names.js';
import { podVethName } from '../../src/cni/pod-veth-name.js';

const list = (dataDir: string): NetList => ({
  cniVersion: '1.0.0',
  name: 'meridian',
  plugins: [{ type: 'meridian-cni', ipam: { ranges: [[{ subnet: '10.244.1.0/24' }]], dataDir } }],
});
const web = { namespace: 'x', name: 'web' };

describe('meridian-cni host veth names', () => {
  it('names eth0 after the pod; a new sandbox takes the veth over and the old sandbox\'s late DEL leaves it', async () => {
    await withCniNode(async (w, n) => {
      const rt = new CniRuntime({ nodeNs: n.node.name, list: list(n.dataDir) });
      const veth = podVethName('x', 'web');
      const p1 = await n.pod();
      const old = { containerId: 'sandbox-1', netns: p1.path, pod: web };
      const r1 = await rt.add(old);
      expect((r1['interfaces'] as { name: string }[])[0]?.name).toBe(veth);
      expect(await n.hostVeths()).toEqual([veth]);
      expect((await n.allocations('meridian')).map((a) => a.hostVeth)).toEqual([veth]);

      // kubelet recreates the sandbox before the old one's DEL has run.
      const p2 = await n.pod();
      const cur = { containerId: 'sandbox-2', netns: p2.path, pod: web };
      const r2 = await rt.add(cur);
      const ip2 = (r2['ips'] as { address: string }[])[0]?.address.split('/')[0] as string;
      expect(await n.hostVeths()).toEqual([veth]);
      expect(await ping(w, p2.ns, NODE_IP4)).toBe(true);

      await rt.del(old);
      expect(await n.hostVeths()).toEqual([veth]);
      expect(await ping(w, n.node, ip2)).toBe(true);
      await rt.check(cur);
      expect((await n.allocations('meridian')).map((a) => a.containerId)).toEqual(['sandbox-2']);

      await rt.del(cur);
      expect(await n.hostVeths()).toEqual([]);
      expect(await n.allocations('meridian')).toEqual([]);
    });
  });

  it('gives a second interface of the pod its own veth, and uses the container-ID name without CNI_ARGS', async () => {
    await withCniNode(async (w, n) => {
      const rt = new CniRuntime({ nodeNs: n.node.name, list: list(n.dataDir) });
      // Each in its own netns: a second meridian interface in one netns would clash on the
      // default route; the names are what is tested here.
      const [p1, p2, p3] = [await n.pod(), await n.pod(), await n.pod()];
      const primary = { containerId: 's1', netns: p1.path, pod: web };
      const second = { containerId: 's1', netns: p2.path, pod: web, ifname: 'net1' };
      const bare = { containerId: 'plain', netns: p3.path, pod: null };
      await rt.add(primary);
      await rt.add(second);
      await rt.add(bare);
      const secondVeth = hostVethName({ containerId: 's1', ifname: 'net1', pod: web });
      expect((await n.hostVeths()).sort()).toEqual([podVethName('x', 'web'), secondVeth, containerVethName('plain', 'eth0')].sort());
      expect(await ping(w, p2.ns, NODE_IP4)).toBe(true);
      await rt.check(second);
      await rt.check(bare);

      await rt.del(second);
      expect((await n.hostVeths()).sort()).toEqual([podVethName('x', 'web'), containerVethName('plain', 'eth0')].sort());
      expect(await ping(w, p1.ns, NODE_IP4)).toBe(true);
      await rt.del(bare);
      await rt.del(primary);
      expect(await n.hostVeths()).toEqual([]);
      expect(await n.allocations('meridian')).toEqual([]);
    });
  });

  it('CHECK and DEL find the veth of a record written before names were recorded', async () => {
    await withCniNode(async (w, n) => {
      const rt = new CniRuntime({ nodeNs: n.node.name, list: list(n.dataDir) });
      const p = await n.pod();
      // An older plugin named the veth from the container ID; its record has no hostVeth.
      await rt.add({ containerId: 'c-old', netns: p.path, pod: null });
      const file = join(n.dataDir, 'meridian', 'allocations.json');
      const doc = JSON.parse(await readFile(file, 'utf8')) as { allocations: Record<string, unknown>[] };
      for (const a of doc.allocations) delete a['hostVeth'];
      await writeFile(file, JSON.stringify(doc));

      // The runtime now sends pod identity, which would derive another name.
      const a = { containerId: 'c-old', netns: p.path, pod: web };
      expect(podVethName('x', 'web')).not.toBe(containerVethName('c-old', 'eth0'));
      await rt.check(a);
      await rt.del(a);
      expect(await n.hostVeths()).toEqual([]);
      expect(await n.allocations('meridian')).toEqual([]);
    });
  });
});

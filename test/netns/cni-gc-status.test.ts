// GC and STATUS (spec 1.1.0) on meridian-cni alone, plus IPAM from the node file ("usePodCidr").

import { readFile, writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CniRuntime, type NetList } from '../harness/cni-runtime.js';
import { withCniNode, NODE_IP4, ping } from '../harness/cni-node.js';

import { podVethName } from '../../src/cni/pod-veth-name.js';

describe('meridian-cni GC, sweep and STATUS at 1.1.0', () => {
  it('GC releases attachments missing from cni.dev/valid-attachments and deletes their veths; keeps the valid one working', async () => {
    await withCniNode(async (w, n) => {
      const l: NetList = { cniVersion: '1.1.0', name: 'meridian', plugins: [{ type: 'meridian-cni', ipam: { ranges: [[{ subnet: '10.244.1.0/24' }]], dataDir: n.dataDir } }] };
      const rt = new CniRuntime({ nodeNs: n.node.name, list: l });
      const pods = [await n.pod(), await n.pod(), await n.pod()];
      for (const [i, p] of pods.entries()) await rt.add({ containerId: `c${i}`, netns: p.path });
      // A runtime that lost its cache: no synthesised DELs, only the plugin's own GC.
      const forgetful = new CniRuntime({ nodeNs: n.node.name, list: l });
      await forgetful.gc([{ containerId: 'c0', netns: pods[0]!.path }]);
      expect((await n.allocations('meridian')).map((a) => a.containerId)).toEqual(['c0']);
      expect(await n.hostVeths()).toEqual([podVethName('default', 'c0')]);
      expect(await ping(w, pods[0]!.ns, NODE_IP4)).toBe(true);
      await rt.check({ containerId: 'c0', netns: pods[0]!.path });
    });
  });

  it('the sweep releases addresses whose container is gone (netns deleted, veth gone) once past the grace period', async () => {
    await withCniNode(async (w, n) => {
      const l: NetList = { cniVersion: '1.1.0', name: 'meridian', plugins: [{ type: 'meridian-cni', ipam: { ranges: [[{ subnet: '10.244.1.0/24' }]], dataDir: n.dataDir } }] };
      const rt = new CniRuntime({ nodeNs: n.node.name, list: l });
      const keep = await n.pod();
      const doomed = await n.pod();
      await rt.add({ containerId: 'keep', netns: keep.path });
      await rt.add({ containerId: 'doomed', netns: doomed.path });
      await w.exec(n.node, ['ip', 'netns', 'del', doomed.ns.name]);
      // Young allocations are never swept (an ADD may sit between allocating and wiring).
      const valid = [{ containerId: 'keep', netns: keep.path }, { containerId: 'doomed', netns: doomed.path }];
      await new CniRuntime({ nodeNs: n.node.name, list: l }).gc(valid);
      expect((await n.allocations('meridian')).length).toBe(2);
      // Age both records past the grace period, as an hour-old leak would be.
      const file = join(n.dataDir, 'meridian', 'allocations.json');
      const doc = JSON.parse(await readFile(file, 'utf8')) as { allocations: { at: number }[] };
      await writeFile(file, JSON.stringify({ ...doc, allocations: doc.allocations.map((a) => ({ ...a, at: 0 })) }));
      await new CniRuntime({ nodeNs: n.node.name, list: l }).gc(valid);
      expect((await n.allocations('meridian')).map((a) => a.containerId)).toEqual(['keep']);
    });
  });

  it('STATUS: 0 when ready; 50 without the node file; 50 when the pool is exhausted', async () => {
    await withCniNode(async (w, n) => {
      const nodeFile = join(n.tmp, 'node.json');
      const l: NetList = {
        cniVersion: '1.1.0',
        name: 'meridian',
        plugins: [{ type: 'meridian-cni', nodeFile, ipam: { ranges: [[{ subnet: 'usePodCidr', rangeStart: '10.244.7.10', rangeEnd: '10.244.7.10' }]], dataDir: n.dataDir } }],
      };
      const rt = new CniRuntime({ nodeNs: n.node.name, list: l });
      const [noFile] = await rt.status();
      expect(noFile?.code).toBe(1);
      expect(noFile?.json).toMatchObject({ cniVersion: '1.1.0', code: 50 });
      expect(String(noFile?.json?.['msg'])).toContain('node file');

      await writeFile(nodeFile, JSON.stringify({ nodeName: 'n1', podCIDRs: ['10.244.7.0/24'] }));
      const [ok] = await rt.status();
      expect(ok).toMatchObject({ code: 0, stdout: '' });

      const p = await n.pod();
      const r = await rt.add({ containerId: 'only', netns: p.path });
      expect((r['ips'] as { address: string }[])[0]?.address).toBe('10.244.7.10/32');
      const [full] = await rt.status();
      expect(full?.json).toMatchObject({ code: 50 });
      expect(String(full?.json?.['msg'])).toContain('exhausted');
      const p2 = await n.pod();
      const e = await rt.add({ containerId: 'second', netns: p2.path }).catch((x: unknown) => x);
      expect((e as { run: { json: unknown } }).run.json).toMatchObject({ code: 100 });
      await rt.del({ containerId: 'only', netns: p.path });
      expect((await rt.status())[0]?.code).toBe(0);
      await rm(nodeFile);
    });
  });
});

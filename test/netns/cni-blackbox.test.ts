// The built binary, black box, as a runtime sees it: bad input gives the spec's error JSON on
// stdout with a non-zero exit; DEL after the pod netns was deleted succeeds. Runs in a scratch
// node namespace like everything else.

import { describe, expect, it } from 'vitest';
import { CniRuntime, invokePlugin, MERIDIAN_CNI } from '../harness/cni-runtime.js';
import { withCniNode } from '../harness/cni-node.js';
import { withWorld } from '../harness/netns.js';

describe('meridian-cni binary', () => {
  it('answers VERSION, garbage stdin (6), an unknown version (1) and a missing env var (4) in spec JSON', async () => {
    await withWorld(async (w) => {
      const node = await w.netns('node');
      const call = (env: Record<string, string>, stdin: string) => invokePlugin({ nodeNs: node.name, binary: MERIDIAN_CNI, env, stdin });
      const v = await call({ CNI_COMMAND: 'VERSION' }, '{"cniVersion":"1.0.0"}');
      expect(v.code).toBe(0);
      expect(v.json).toEqual({ cniVersion: '1.1.0', supportedVersions: ['0.4.0', '1.0.0', '1.1.0'] });
      const env = { CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'x', CNI_NETNS: '/run/netns/none', CNI_IFNAME: 'eth0', CNI_PATH: '/usr/lib/cni' };
      const garbage = await call(env, 'not json');
      expect(garbage.code).toBe(1);
      expect(garbage.json).toMatchObject({ code: 6 });
      const old = await call(env, JSON.stringify({ cniVersion: '0.3.1', name: 'n', type: 'meridian-cni' }));
      expect(old.json).toMatchObject({ code: 1, details: expect.stringContaining('1.1.0') });
      const noIf = await call({ ...env, CNI_IFNAME: '' }, JSON.stringify({ cniVersion: '1.0.0', name: 'n', type: 'meridian-cni' }));
      expect(noIf.json).toMatchObject({ cniVersion: '1.0.0', code: 4, msg: expect.stringContaining('CNI_IFNAME') });
    });
  });

  it('DEL succeeds after the pod netns is gone, and releases the address', async () => {
    await withCniNode(async (w, n) => {
      const rt = new CniRuntime({
        nodeNs: n.node.name,
        list: { cniVersion: '1.1.0', name: 'meridian', plugins: [{ type: 'meridian-cni', ipam: { ranges: [[{ subnet: '10.244.1.0/24' }]], dataDir: n.dataDir } }] },
      });
      const p = await n.pod();
      await rt.add({ containerId: 'gone', netns: p.path });
      await w.exec(n.node, ['ip', 'netns', 'del', p.ns.name]);
      await rt.del({ containerId: 'gone', netns: p.path });
      expect(await n.hostVeths()).toEqual([]);
      expect(await n.allocations('meridian')).toEqual([]);
    });
  });
});

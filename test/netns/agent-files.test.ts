// `meridian agent` with the files datastore, in a node namespace: the same path after the source
// as with the API server. It becomes ready once the directory is read, writes the CNI node file,
// programs a NetworkPolicy from a file and removes it when the file is removed; a bad manifest is
// skipped and reported. And bad agent input exits 2 before anything is touched.

import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { getStatus } from '../harness/agent-node.js';
import { withWorld } from '../harness/netns.js';
import { waitFor } from '../harness/wait.js';

const MERIDIAN = resolve(import.meta.dirname, '../../dist/meridian.js');

describe('meridian agent, files datastore', () => {
  it('applies policy from files and removes it with its file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mrd-agent-files-'));
    try {
      await withWorld(async (w) => {
        const ns = await w.netns('node');
        const objects = join(dir, 'objects');
        mkdirSync(objects);
        writeFileSync(join(objects, 'node.yaml'), 'kind: Node\nmetadata: {name: n1}\nspec: {podCIDRs: [10.244.1.0/24]}\nstatus: {addresses: [{type: InternalIP, address: 127.0.0.1}]}\n');
        writeFileSync(join(objects, 'pods.yaml'), 'kind: Namespace\nmetadata: {name: x}\n---\nkind: Pod\nmetadata: {name: a, namespace: x, labels: {pod: a}}\nspec: {nodeName: n1}\nstatus: {phase: Running, podIP: 10.244.1.5}\n');
        writeFileSync(join(objects, 'broken.yaml'), 'kind: NetworkPolicy\nmetadata: {name: broken, namespace: elsewhere}\nspec: {podSelector: {matchLabels: {a: [b]}}}\n');
        const socket = join(dir, 'agent.sock');
        const config = join(dir, 'agent.yaml');
        writeFileSync(config, stringify({ nodeName: 'n1', datastore: { type: 'files', path: objects }, bgp: { listenAddress: '127.0.0.1' }, cni: { nodeFile: join(dir, 'node.json') }, statusSocket: socket, metrics: { listen: '127.0.0.1:9493' } }));
        const proc = w.spawn(ns, [process.execPath, MERIDIAN, 'agent', '--config', config], { env: { PATH: process.env['PATH'] ?? '' } });
        const logs = () => proc.output().stderr.slice(-3000);
        await waitFor(async () => (await getStatus(socket).catch(() => undefined))?.readiness.ready === true, { timeoutMs: 20_000, what: 'the agent to be ready' }).catch((e: unknown) => {
          throw new Error(`${(e as Error).message}\n${logs()}`);
        });
        expect(JSON.parse(readFileSync(join(dir, 'node.json'), 'utf8'))).toEqual({ nodeName: 'n1', podCIDRs: ['10.244.1.0/24'] });
        const st = await getStatus(socket);
        expect(st.datastore.view.problems).toEqual([expect.objectContaining({ kind: 'NetworkPolicy', name: 'broken', source: 'broken.yaml#0' })]);
        const policyRules = async () => (await w.exec(ns, ['iptables-save', '-t', 'filter'])).stdout.split('\n').filter((l) => l.includes('x/deny')).length;
        expect(await policyRules()).toBe(0);
        writeFileSync(join(objects, 'policy.yaml'), 'kind: NetworkPolicy\nmetadata: {name: deny, namespace: x}\nspec: {podSelector: {}}\n');
        await waitFor(async () => (await policyRules()) > 0, { timeoutMs: 5000, what: 'the policy from the new file' });
        unlinkSync(join(objects, 'policy.yaml'));
        await waitFor(async () => (await policyRules()) === 0, { timeoutMs: 5000, what: 'the policy to go with its file' });
        proc.kill('SIGTERM');
        const exit = await proc.exited;
        expect(exit, logs()).toEqual({ code: 0, signal: null });
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('exits 2 naming the field when the kubeconfig cannot be loaded', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mrd-agent-cfg-'));
    try {
      const config = join(dir, 'agent.yaml');
      writeFileSync(config, stringify({ nodeName: 'n1', datastore: { type: 'kubernetes', kubeconfig: join(dir, 'missing.kubeconfig') }, statusSocket: join(dir, 's.sock') }));
      const r = await promisify(execFile)(process.execPath, [MERIDIAN, 'agent', '--config', config]).then(
        () => ({ code: 0, stderr: '' }),
        (e: { code: number; stderr: string }) => e,
      );
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('datastore.kubeconfig: cannot load a kubeconfig');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

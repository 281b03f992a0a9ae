// Codes for a node that is not ready yet (11: try again later) and for input that cannot be read
// (5: stdin, the spec's I/O failure; 105: the agent's node file). Through the real skeleton and
// handlers with a fake kernel runner and the real file store in a temp dir; the stdin case runs
// the built plugin (dist/meridian-cni.cjs) with a directory as its stdin, so the read fails.

import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cniHandlers } from '../../src/cni/handlers.js';
import { fileStore } from '../../src/cni/ipam/file-store.js';
import { runSkel } from '../../src/cni/skel.js';
import { fakeRunner } from '../../src/net/fake-runner.js';

const PLUGIN = resolve(import.meta.dirname, '../../dist/meridian-cni.cjs');

let dir: string;
let netns: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mrd-codes-'));
  netns = join(dir, 'netns'); // ADD only checks that CNI_NETNS exists
  await writeFile(netns, '');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const env = () => ({ CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'c1', CNI_NETNS: netns, CNI_IFNAME: 'eth0' });
const conf = (ranges: unknown = [[{ subnet: 'usePodCidr' }]]) =>
  JSON.stringify({ cniVersion: '1.1.0', name: 'meridian', type: 'meridian-cni', mtu: 1500, nodeFile: join(dir, 'node.json'), ipam: { ranges, dataDir: join(dir, 'ipam') } });

async function add(stdin: string, lockTimeoutMs = 10_000): Promise<{ status: number; err: { code: number; msg: string } }> {
  const fake = fakeRunner();
  let stdout = '';
  const status = await runSkel(cniHandlers({ run: fake.run, now: () => Date.now(), store: (c) => fileStore(c.dataDir, c.name, { timeoutMs: lockTimeoutMs }) }), {
    env: env(),
    readStdin: () => stdin,
    writeStdout: (s) => (stdout += s),
    writeStderr: () => undefined,
  });
  // Nothing was wired: each of these fails before the kernel is touched.
  expect(fake.calls).toEqual([]);
  return { status, err: JSON.parse(stdout) as { code: number; msg: string } };
}

describe('try again later (11)', () => {
  it('ADD before the agent wrote the node file', async () => {
    const r = await add(conf());
    expect(r.status).toBe(1);
    expect(r.err).toMatchObject({ code: 11, msg: expect.stringMatching(/node file .*node\.json does not exist yet/) as unknown });
  });

  it('ADD while the node has no podCIDR', async () => {
    await writeFile(join(dir, 'node.json'), JSON.stringify({ nodeName: 'n1', podCIDRs: [] }));
    expect((await add(conf())).err).toMatchObject({ code: 11, msg: 'the node has no podCIDR yet' });
  });

  it('ADD while a live process holds the IPAM lock past the timeout', async () => {
    await mkdir(join(dir, 'ipam', 'meridian'), { recursive: true });
    // This test's own PID: alive, and the lock is young, so it is neither dead nor stale.
    await writeFile(join(dir, 'ipam', 'meridian', 'lock'), `${process.pid} 0123456789abcdef`);
    const t0 = Date.now();
    const r = await add(conf([[{ subnet: '10.244.1.0/24' }]]), 200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(200);
    expect(r.err).toMatchObject({ code: 11, msg: expect.stringMatching(new RegExp(`IPAM lock .* is held by pid ${process.pid}`)) as unknown });
  });
});

describe('unreadable input', () => {
  it('a node file that is not the agent\'s JSON is 105, not stdin\'s 5', async () => {
    await writeFile(join(dir, 'node.json'), '{"podCIDRs": "10.244.1.0/24"}');
    expect((await add(conf())).err).toMatchObject({ code: 105, msg: expect.stringMatching(/podCIDRs must be a list/) as unknown });
  });

  it('a failed stdin read is 5 (the built plugin, stdin a directory)', async () => {
    const fd = openSync(dir, 'r');
    try {
      const child = spawn(process.execPath, [PLUGIN], { env: { PATH: process.env['PATH'], ...env() }, stdio: [fd, 'pipe', 'pipe'] });
      let stdout = '';
      child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
      const code = await new Promise<number | null>((res) => child.on('close', res));
      expect(code).toBe(1);
      expect(JSON.parse(stdout)).toMatchObject({ cniVersion: '1.1.0', code: 5, msg: 'cannot read the network config from stdin', details: expect.stringMatching(/EISDIR/) as unknown });
    } finally {
      closeSync(fd);
    }
  });

  it('a misspelt test fault point is a CNI error, not a crash of every verb (the built plugin)', async () => {
    const run = async (command: string) => {
      const child = spawn(process.execPath, [PLUGIN], { env: { PATH: process.env['PATH'], MERIDIAN_CNI_FAULT: 'after-aloc', CNI_COMMAND: command }, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stdin?.end('{}');
      const code = await new Promise<number | null>((res) => child.on('close', res));
      return { code, out: JSON.parse(stdout) as Record<string, unknown> };
    };
    expect(await run('VERSION')).toMatchObject({ code: 0, out: { supportedVersions: expect.arrayContaining(['1.1.0']) as unknown } });
  });
});

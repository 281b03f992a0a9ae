// A corrupt IPAM state file: ADD and CHECK fail with code 104 and leave it alone; DEL and GC move
// it aside, rebuild the state from the node's pod routes and succeed, printing nothing on stdout.
// Real file store in a temp dir, fake kernel runner; the pod routes are what iproute2 prints.

import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cniHandlers } from '../../src/cni/handlers.js';
import { mayDeleteVeth } from '../../src/cni/host-veths.js';
import { RECOVERED_CONTAINER_ID, type IpamState } from '../../src/cni/ipam/allocator.js';
import { fileStore } from '../../src/cni/ipam/file-store.js';
import { recoveredState } from '../../src/cni/ipam/recover.js';
import { runSkel } from '../../src/cni/skel.js';
import { fakeRunner } from '../../src/net/fake-runner.js';

const V1 = 'mrd111111111111';
const V2 = 'mrd222222222222';
// `ip -json -batch -` for "route show table all root 0.0.0.0/0 proto 181" and "… root ::/0 …".
const ROUTES4 = [
  { dst: '10.244.1.5', dev: V1, scope: 'link', flags: [] },
  { dst: '10.244.1.6', dev: V2, scope: 'link', flags: [] },
];
const ROUTES6 = [{ dst: 'fd00:10::5', dev: V1, metric: 1024, flags: [], pref: 'medium' }];
const ROUTES_STDOUT = `${JSON.stringify(ROUTES4)}\n${JSON.stringify(ROUTES6)}\n`;
const NOW = 1_700_000_000_000;

let dir: string;
let netnsFile: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mrd-recover-'));
  // ADD and CHECK only test that CNI_NETNS exists.
  netnsFile = join(dir, 'netns');
  await writeFile(netnsFile, '');
  await mkdir(join(dir, 'ipam', 'meridian'), { recursive: true });
  await writeFile(join(dir, 'ipam', 'meridian', 'allocations.json'), '{"allocations": [{"containerId": "c1", "ifn');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const conf = (extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ cniVersion: '1.1.0', name: 'meridian', type: 'meridian-cni', mtu: 1500, ipam: { ranges: [[{ subnet: '10.244.1.0/24' }]], dataDir: join(dir, 'ipam') }, ...extra });

async function run(env: Record<string, string>, stdin: string) {
  const fake = fakeRunner((cmd) => (cmd.argv.includes('-json') ? { stdout: ROUTES_STDOUT } : undefined));
  const warnings: string[] = [];
  let stdout = '';
  const status = await runSkel(
    cniHandlers({ run: fake.run, now: () => NOW, store: (c) => fileStore(c.dataDir, c.name), warn: (l) => warnings.push(l) }),
    { env, readStdin: () => stdin, writeStdout: (s) => (stdout += s), writeStderr: () => undefined },
  );
  return { status, stdout, warnings, calls: fake.calls };
}

const state = async (): Promise<IpamState> => JSON.parse(await readFile(join(dir, 'ipam', 'meridian', 'allocations.json'), 'utf8')) as IpamState;
const files = async (): Promise<string[]> => (await readdir(join(dir, 'ipam', 'meridian'))).sort();
const attach = (verb: string) => ({ CNI_COMMAND: verb, CNI_CONTAINERID: 'c1', CNI_IFNAME: 'eth0', CNI_NETNS: netnsFile });

describe('recovery from a corrupt IPAM state file', () => {
  it('rebuilds one record per routed address, keyed by its veth', () => {
    const s = recoveredState([...ROUTES4, ...ROUTES6, { dst: '10.244.1.5', dev: V1 }, { dst: 'garbage', dev: V1 }, { dst: '10.244.1.9' }], NOW);
    expect(s.allocations).toEqual([
      { containerId: RECOVERED_CONTAINER_ID, ifname: V1, netns: undefined, ip: '10.244.1.5', hostVeth: V1, at: NOW },
      { containerId: RECOVERED_CONTAINER_ID, ifname: V2, netns: undefined, ip: '10.244.1.6', hostVeth: V2, at: NOW },
      { containerId: RECOVERED_CONTAINER_ID, ifname: V1, netns: undefined, ip: 'fd00:10::5', hostVeth: V1, at: NOW },
    ]);
  });

  it('a recovered veth is deletable only with prevResult listing all its addresses', () => {
    const s = recoveredState([...ROUTES4, ...ROUTES6], NOW);
    const who = { containerId: 'c1', ifname: 'eth0' };
    expect(mayDeleteVeth(s, V1, who)).toBe(false);
    expect(mayDeleteVeth(s, V1, who, ['10.244.1.5'])).toBe(false);
    expect(mayDeleteVeth(s, V1, who, ['10.244.1.5', 'fd00:10::5'])).toBe(true);
    expect(mayDeleteVeth(s, V2, who, ['10.244.1.5'])).toBe(false);
    // The sweep asks on the record's own behalf: it owns its veth.
    expect(mayDeleteVeth(s, V2, { containerId: RECOVERED_CONTAINER_ID, ifname: V2 })).toBe(true);
  });

  it('ADD fails with code 104 naming the file, and leaves it where it is', async () => {
    const before = await files();
    const r = await run(attach('ADD'), conf());
    expect(r.status).toBe(1);
    const err = JSON.parse(r.stdout) as { code: number; msg: string; details: string };
    expect(err.code).toBe(104);
    expect(err.msg).toMatch(/IPAM state .*allocations\.json is corrupt/);
    expect(err.details).toMatch(/JSON/);
    expect(await files()).toEqual(before);
    expect(r.calls).toEqual([]);
  });

  it('CHECK fails with code 104', async () => {
    const prevResult = { cniVersion: '1.1.0', interfaces: [{ name: V1 }, { name: 'eth0', sandbox: netnsFile }], ips: [{ address: '10.244.1.5/32', interface: 1 }] };
    const r = await run(attach('CHECK'), conf({ prevResult }));
    expect(JSON.parse(r.stdout)).toMatchObject({ code: 104 });
  });

  it('DEL moves the file aside, rebuilds the state from the pod routes, releases what prevResult proves ours, and succeeds silently', async () => {
    const prevResult = {
      cniVersion: '1.1.0',
      interfaces: [{ name: V1, mac: 'ee:ee:ee:ee:ee:ee' }, { name: 'eth0', sandbox: netnsFile }],
      ips: [{ address: '10.244.1.5/32', interface: 1 }, { address: 'fd00:10::5/128', interface: 1 }],
    };
    const r = await run(attach('DEL'), conf({ prevResult }));
    expect(r).toMatchObject({ status: 0, stdout: '' });
    expect(await files()).toEqual(['allocations.json', `allocations.json.corrupt-${NOW}`]);
    expect(await readFile(join(dir, 'ipam', 'meridian', `allocations.json.corrupt-${NOW}`), 'utf8')).toContain('"ifn');
    // V1's addresses are released (prevResult lists them); V2's pod keeps its address reserved.
    expect((await state()).allocations.map((a) => [a.ip, a.hostVeth])).toEqual([['10.244.1.6', V2]]);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/moved it to .*allocations\.json\.corrupt-\d+, rebuilt 3 reservation/);

    // A second DEL finds a sound file: nothing more is moved or released.
    const again = await run(attach('DEL'), conf({ prevResult }));
    expect(again).toMatchObject({ status: 0, stdout: '', warnings: [] });
    expect((await state()).allocations).toHaveLength(1);
  });

  it('DEL without prevResult still succeeds, and keeps every rebuilt reservation', async () => {
    const r = await run({ ...attach('DEL'), CNI_NETNS: '' }, conf());
    expect(r).toMatchObject({ status: 0, stdout: '' });
    expect((await state()).allocations).toHaveLength(3);
  });

  it('GC recovers too, and does not release rebuilt records (no runtime can list them)', async () => {
    const r = await run({ CNI_COMMAND: 'GC' }, conf({ 'cni.dev/valid-attachments': [] }));
    expect(r).toMatchObject({ status: 0, stdout: '' });
    expect(await files()).toEqual(['allocations.json', `allocations.json.corrupt-${NOW}`]);
    expect((await state()).allocations.map((a) => a.ip)).toEqual(['10.244.1.5', '10.244.1.6', 'fd00:10::5']);
  });
});

describe('file store corruption', () => {
  it('a list entry of the wrong shape is corruption too, reported as 104', async () => {
    await writeFile(join(dir, 'ipam', 'meridian', 'allocations.json'), JSON.stringify({ allocations: [{ containerId: 'c1' }] }));
    await expect(fileStore(join(dir, 'ipam'), 'meridian').read()).rejects.toMatchObject({ cniCode: 104, details: expect.stringMatching(/allocations\[0\]/) as unknown });
  });

  it('quarantine does nothing to a sound file', async () => {
    const store = fileStore(join(dir, 'ipam'), 'meridian');
    await writeFile(join(dir, 'ipam', 'meridian', 'allocations.json'), JSON.stringify({ allocations: [], lastReserved: {} }));
    expect(await store.quarantine({ allocations: [], lastReserved: {} }, NOW)).toBeUndefined();
    expect(await files()).toEqual(['allocations.json']);
  });
});

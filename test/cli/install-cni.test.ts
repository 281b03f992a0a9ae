// `meridian install-cni` through the built CLI, in temp dirs only.

import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const CLI = resolve(import.meta.dirname, '../../dist/meridian.js');
const PLUGIN = resolve(import.meta.dirname, '../../dist/meridian-cni.cjs');
const run = promisify(execFile);

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'mrd-install-'));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const install = (...extra: string[]) =>
  run(process.execPath, [CLI, 'install-cni', '--conf-dir', join(tmp, 'net.d'), '--bin-dir', join(tmp, 'bin'), ...extra]);

describe('meridian install-cni', () => {
  it('installs the plugin and a first-sorting conflist; a rerun is harmless', async () => {
    await install();
    await writeFile(join(tmp, 'net.d', '10-other.conflist'), '{}');
    await install();
    expect(await readdir(join(tmp, 'net.d'))).toEqual(['00-meridian.conflist', '10-other.conflist']);
    expect(await readdir(join(tmp, 'bin'))).toEqual(['meridian-cni']);
    const bin = join(tmp, 'bin', 'meridian-cni');
    expect((await stat(bin)).mode & 0o777).toBe(0o755);
    expect(await readFile(bin)).toEqual(await readFile(PLUGIN));
    const conf = JSON.parse(await readFile(join(tmp, 'net.d', '00-meridian.conflist'), 'utf8')) as { cniVersion: string; plugins: { type: string }[] };
    expect(conf.cniVersion).toBe('1.0.0');
    expect(conf.plugins.map((p) => p.type)).toEqual(['meridian-cni', 'portmap', 'bandwidth']);
    // The installed binary answers VERSION (it needs nothing else for that verb).
    const v = await run(bin, [], { env: { PATH: process.env['PATH'], CNI_COMMAND: 'VERSION' } });
    expect(JSON.parse(v.stdout)).toMatchObject({ supportedVersions: ['0.4.0', '1.0.0', '1.1.0'] });
  });

  it('refuses to install behind a config that sorts first, naming it', async () => {
    await install();
    await writeFile(join(tmp, 'net.d', '00-aaa.conf'), '{}');
    const e = (await install().catch((x: unknown) => x)) as { code: number; stderr: string };
    expect(e.code).toBe(1);
    expect(e.stderr).toContain('00-aaa.conf sorts before 00-meridian.conflist');
  });
});

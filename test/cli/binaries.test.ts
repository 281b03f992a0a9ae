// The built binaries as a user and a container runtime run them: dist/ comes from `npm run build`,
// which `npm test` runs first.

import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Command } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';

const MERIDIAN = 'dist/meridian.js';
const CNI = 'dist/meridian-cni.cjs';
const pexec = promisify(execFile);

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

async function runBin(file: string, args: string[], env: Record<string, string> = {}, input?: string): Promise<Ran> {
  const child = execFile(process.execPath, [file, ...args], { env: { PATH: process.env['PATH'] ?? '', ...env } });
  if (input !== undefined) child.stdin?.end(input);
  else child.stdin?.end();
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
  return { code, stdout, stderr };
}

beforeAll(() => {
  if (!existsSync(MERIDIAN) || !existsSync(CNI)) throw new Error('dist/ is missing: run `npm run build` (npm test does)');
});

describe('meridian', () => {
  it('prints help and version', async () => {
    const help = await runBin(MERIDIAN, ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: meridian/);
    expect(help.stdout).toContain('config');
    const { version } = (await import('../../package.json', { with: { type: 'json' } })).default as { version: string };
    expect((await runBin(MERIDIAN, ['--version'])).stdout.trim()).toBe(version);
  });

  // Every command of the tree the binary is built from, walked rather than listed, so a new one
  // cannot be missed.
  const commandPaths = (c: Command, path: string[] = []): string[][] =>
    c.commands.flatMap((sub) => [[...path, sub.name()], ...commandPaths(sub, [...path, sub.name()])]);
  const paths = commandPaths(buildProgram());

  it('walks a command tree that has the commands and their subcommands', () => {
    const names = paths.map((p) => p.join(' '));
    for (const c of ['agent', 'bgp run', 'status', 'policy explain', 'lab up', 'lab node add', 'install-cni', 'config check']) expect(names).toContain(c);
  });

  it.each(paths.map((p) => [p.join(' ')]))('meridian %s --help: exit 0 and its usage', async (cmd) => {
    const r = await runBin(MERIDIAN, [...cmd.split(' '), '--help']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: meridian ${cmd} `));
    expect(r.stderr).toBe('');
  });

  it('exits 2 on usage errors', async () => {
    expect((await runBin(MERIDIAN, ['--no-such-flag'])).code).toBe(2);
    expect((await runBin(MERIDIAN, ['config', 'check'])).code).toBe(2);
  });

  it('config check: exit 0 with defaults filled in, exit 2 naming the field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mrd-cfg-'));
    writeFileSync(join(dir, 'good.yaml'), 'bgp: {asn: 65010}\n');
    writeFileSync(join(dir, 'bad.yaml'), 'bgp: {asn: 65010, peers: [{address: nope, asn: 1}]}\n');
    // Loads as YAML and as types, but the community could never be encoded: refused at load too.
    writeFileSync(join(dir, 'community.yaml'), 'bgp: {peers: [{address: 192.0.2.1, asn: 1, exportPolicy: {defaultAction: accept, rules: [{action: accept, set: {addCommunities: ["99999:99999"]}}]}}]}\n');
    const good = await runBin(MERIDIAN, ['config', 'check', '--json', '-c', join(dir, 'good.yaml')], { NODE_NAME: 'n1' });
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({ nodeName: 'n1', bgp: { asn: 65010, listenPort: 179 }, routes: { protocol: 180 } });
    const bad = await runBin(MERIDIAN, ['config', 'check', '-c', join(dir, 'bad.yaml')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('bgp.peers[0].address: must be an IPv4 or IPv6 address');
    expect(bad.stdout).toBe('');
    const community = await runBin(MERIDIAN, ['config', 'check', '-c', join(dir, 'community.yaml')]);
    expect(community.code).toBe(2);
    expect(community.stderr).toContain('bgp.peers[0].exportPolicy.rules[0].set.addCommunities[0]: must be ASN:VALUE with both parts 0..65535');
  });

  it('runs through npx as the package bin', async () => {
    const r = await pexec('npx', ['--no-install', 'meridian', '--version']);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe('meridian-cni', () => {
  it('answers VERSION with supportedVersions including 1.1.0', async () => {
    const r = await runBin(CNI, [], { CNI_COMMAND: 'VERSION' });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ cniVersion: '1.1.0', supportedVersions: ['0.4.0', '1.0.0', '1.1.0'] });
  });

  it('answers bad input with a CNI error JSON on stdout and a non-zero exit', async () => {
    const r = await runBin(CNI, [], { CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'c1', CNI_NETNS: '/run/netns/x', CNI_IFNAME: 'eth0' }, '{not json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ cniVersion: '1.1.0', code: 6 });
  });
});

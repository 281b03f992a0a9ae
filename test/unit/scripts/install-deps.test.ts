// scripts/install-deps.sh (which scripts/setup.sh and .ci/run run first) with a PATH holding only
// fakes: `id` says root, `node` is whatever the case needs, and the rest record that they ran, so
// nothing is installed. It stops before installing anything when Node.js is older than 20, saying
// what to install; it does not build the e2e test servers (Go), which `npm test` does.

import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const SCRIPT = new URL('../../../scripts/install-deps.sh', import.meta.url).pathname;
let bin: string;

function fake(name: string, body: string): void {
  writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
  chmodSync(join(bin, name), 0o755);
}

function run(): { status: number; stderr: string } {
  const r = spawnSync('/bin/bash', [SCRIPT], { encoding: 'utf8', env: { PATH: bin } });
  return { status: r.status ?? -1, stderr: r.stderr };
}

beforeEach(() => {
  bin = mkdtempSync(join(tmpdir(), 'mrd-install-deps-'));
  fake('id', 'echo 0');
  symlinkSync('/usr/bin/dirname', join(bin, 'dirname'));
});

afterEach(() => rmSync(bin, { recursive: true, force: true }));

describe('install-deps.sh: Node.js', () => {
  it("stops on Debian 12's Node 18, naming what to install", () => {
    fake('node', 'case "$1" in -p) echo 18 ;; --version) echo v18.19.0 ;; esac');
    const r = run();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('Meridian needs Node.js 20 or newer, with npm; found: v18.19.0.');
    expect(r.stderr).toContain("Debian 12's nodejs package is 18");
    expect(r.stderr).toMatch(/NodeSource's node_20\.x/);
  });

  it('stops when there is no node at all', () => {
    const r = run();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('found: no node.');
  });
});

describe('install-deps.sh: what it runs', () => {
  it('installs packages and npm modules but builds no test servers, so setup.sh needs no Go', () => {
    const log = join(bin, 'ran.log');
    fake('node', 'case "$1" in -p) echo 20 ;; --version) echo v20.20.2 ;; esac');
    fake('dpkg-query', "printf 'install ok installed'");
    symlinkSync('/bin/grep', join(bin, 'grep'));
    for (const cmd of ['npm', 'bash', 'go', 'curl', 'apt-get']) fake(cmd, `echo "${cmd} $*" >> ${log}`);
    const r = run();
    expect(r.status, r.stderr).toBe(0);
    const ran = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [];
    expect(ran).toEqual(['npm ci --no-audit --no-fund --loglevel=error']);
  });

  it('npm test builds the test servers first (its pretest), for the e2e tests and CI', async () => {
    const pkg = (await import('../../../package.json', { with: { type: 'json' } })).default as { scripts: Record<string, string> };
    expect(pkg.scripts['pretest']).toMatch(/^bash test\/servers\/build\.sh\b/);
  });
});

// test/servers/build.sh's choice of Go, without building anything: the script is sourced and its
// functions run against a module proxy made of files (GOPROXY=file://...), which curl reads like
// the real one, holding a fake toolchain zip whose bin/go only prints its version.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const SCRIPT = new URL('./build.sh', import.meta.url).pathname;
const MODULE = 'golang.org/toolchain';

let dir: string;
let proxy: string;
let cache: string;

interface Ran {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Source build.sh and run `snippet` with PATH = `path` and the fake proxy and cache. */
function run(snippet: string, path: string, env: Record<string, string> = {}): Ran {
  const r = spawnSync('bash', ['-c', `source ${SCRIPT}; ${snippet}`], {
    encoding: 'utf8',
    env: { PATH: path, HOME: dir, GOPROXY: `file://${proxy}`, MERIDIAN_TEST_SERVERS: cache, ...env },
  });
  return { status: r.status ?? -1, stdout: r.stdout.trim(), stderr: r.stderr };
}

/** A PATH with every command of this one except `go`, as on a machine without Go. */
function pathWithoutGo(): string {
  const bin = join(dir, 'no-go-bin');
  mkdirSync(bin);
  for (const d of (process.env['PATH'] ?? '').split(delimiter)) {
    if (d === '' || !existsSync(d)) continue;
    for (const name of readdirSync(d)) {
      if (name === 'go' || existsSync(join(bin, name))) continue;
      symlinkSync(join(d, name), join(bin, name));
    }
  }
  return bin;
}

/** A `go` that only answers `go version`, in its own directory. */
function fakeGo(where: string, version: string): string {
  mkdirSync(where, { recursive: true });
  const go = join(where, 'go');
  writeFileSync(go, `#!/bin/sh\necho "go version go${version} linux/fake"\n`);
  chmodSync(go, 0o755);
  return where;
}

function platform(path: string): string {
  return run('go_platform', path).stdout;
}

/** golang.org/x/mod/sumdb/dirhash.Hash1 over the files under `root`, named relative to it. */
function hash1(root: string): string {
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else files.push(relative(root, p));
    }
  };
  walk(root);
  const summary = files
    .sort((a, b) => (Buffer.from(a) < Buffer.from(b) ? -1 : 1))
    .map((f) => `${createHash('sha256').update(readFileSync(join(root, f))).digest('hex')}  ${f}\n`)
    .join('');
  return 'h1:' + createHash('sha256').update(summary).digest('base64');
}

/**
 * Put toolchain `version` for `plat` on the fake proxy: its zip, and the checksum database's
 * record of it (`recorded` overrides the hash there). Returns the true hash.
 */
function publishToolchain(version: string, plat: string, recorded?: string): string {
  const zipver = `v0.0.1-go${version}.${plat}`;
  const src = join(dir, 'zip-src');
  const top = join(src, `${MODULE}@${zipver}`);
  fakeGo(join(top, 'bin'), version);
  writeFileSync(join(top, 'VERSION'), `go${version}\n`);
  const zip = join(proxy, MODULE, '@v', `${zipver}.zip`);
  mkdirSync(dirname(zip), { recursive: true });
  const z = spawnSync('zip', ['-qr', zip, '.'], { cwd: src, encoding: 'utf8' });
  expect(z.status, z.stderr).toBe(0);
  const h1 = hash1(src);
  const lookup = join(proxy, 'sumdb', 'sum.golang.org', 'lookup', `${MODULE}@${zipver}`);
  mkdirSync(dirname(lookup), { recursive: true });
  writeFileSync(lookup, `1234\n${MODULE} ${zipver} ${recorded ?? h1}\n${MODULE} ${zipver}/go.mod h1:whatever=\n\ngo.sum database tree\n`);
  rmSync(src, { recursive: true });
  return h1;
}

function cachedRoots(): string[] {
  return existsSync(join(cache, 'go')) ? readdirSync(join(cache, 'go')) : [];
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mrd-build-sh-'));
  proxy = join(dir, 'proxy');
  cache = join(dir, 'cache');
  mkdirSync(proxy);
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('build.sh: which Go', () => {
  it('reads the Go version from the kubernetes go.mod on the proxy; "go 1.N" is 1.N.0', () => {
    const path = process.env['PATH'] ?? '';
    const mod = join(proxy, 'k8s.io', 'kubernetes', '@v');
    mkdirSync(mod, { recursive: true });
    writeFileSync(join(mod, 'v1.34.4.mod'), 'module k8s.io/kubernetes\n\ngo 1.24.0\n\ngodebug default=go1.24\n');
    writeFileSync(join(mod, 'v1.30.0.mod'), 'module k8s.io/kubernetes\n\ngo 1.22\n');
    expect(run('k8s_go_version v1.34.4', path).stdout).toBe('1.24.0');
    expect(run('k8s_go_version v1.30.0', path).stdout).toBe('1.22.0');
    expect(run('k8s_go_version v9.9.9', path).status).not.toBe(0);
  });

  // 1.24.99 has no pinned hash: these check against the (fake) checksum database's record.
  it('without go on PATH: fetches the toolchain module, checks its hash, unpacks it into the cache and uses it', () => {
    const path = pathWithoutGo();
    const plat = platform(path);
    publishToolchain('1.24.99', plat);
    const r = run('select_go 1.24.99', path);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(join(cache, 'go', `go1.24.99.${plat}`, 'bin'));
    expect(r.stderr).toContain(`fetching Go 1.24.99 (${MODULE}@v0.0.1-go1.24.99.${plat})`);
    expect(spawnSync(join(r.stdout, 'go'), ['version'], { encoding: 'utf8' }).stdout).toContain('go1.24.99');
    expect(cachedRoots()).toEqual([`go1.24.99.${plat}`]);

    // Cached: found again with the proxy gone.
    rmSync(proxy, { recursive: true });
    const again = run('select_go 1.24.99', path);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toBe(r.stdout);
    expect(again.stderr).not.toContain('fetching');
  });

  it('refuses a toolchain whose hash differs from the checksum database and leaves nothing behind', () => {
    const path = pathWithoutGo();
    publishToolchain('1.24.99', platform(path), 'h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=');
    const r = run('select_go 1.24.99', path);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/expected h1:AAAA/);
    expect(cachedRoots()).toEqual([]);
  });

  it('GOSUMDB=off skips the check, as it does for go', () => {
    const path = pathWithoutGo();
    publishToolchain('1.24.99', platform(path), 'h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=');
    const r = run('select_go 1.24.99', path, { GOSUMDB: 'off' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('not checked against the checksum database');
  });

  it('fetches when the go on PATH is too old (Debian 12 has 1.19)', () => {
    const path = pathWithoutGo();
    const old = fakeGo(join(dir, 'debian-go'), '1.19.8');
    publishToolchain('1.24.99', platform(path));
    const r = run('select_go 1.24.99', `${old}${delimiter}${path}`);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^${cache}/go/go1\\.24\\.99\\.`));
  });

  // The pin table holds linux-amd64 only (the CI machines' platform).
  it.runIf(process.arch === 'x64')('checks a pinned toolchain against its pinned hash, whatever the proxy\'s checksum record says', () => {
    const path = pathWithoutGo();
    // The fake 1.24.0 zip is not the real one: its record on the fake proxy agrees with it, the pin does not.
    publishToolchain('1.24.0', platform(path));
    const r = run('select_go 1.24.0', path);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/expected h1:oPC9yECkA1xwFfkEB5H9B9GDchhCH79d2Y7l4ybHXF0=/);
    expect(cachedRoots()).toEqual([]);
  });

  it('uses a new enough go from PATH, or from the paths given (/usr/local/go), without fetching', () => {
    const path = pathWithoutGo();
    const onPath = fakeGo(join(dir, 'path-go'), '1.26.8');
    expect(run('select_go 1.24.0', `${onPath}${delimiter}${path}`)).toMatchObject({ status: 0, stdout: onPath });
    const usrLocal = fakeGo(join(dir, 'usr-local-go', 'bin'), '1.24.0');
    expect(run(`select_go 1.24.0 ${join(usrLocal, 'go')}`, path)).toMatchObject({ status: 0, stdout: usrLocal });
    expect(cachedRoots()).toEqual([]);
  });
});

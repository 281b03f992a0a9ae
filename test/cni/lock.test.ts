// The lock file across real processes: holders that release and exit at once look "dead" to a
// waiter that read their PID a moment earlier, the race that made 50 concurrent DELs lose
// updates. Each child takes the lock, increments a counter file and exits; no increment may be
// lost. Children are a tiny script bundled from src with esbuild (a devDependency), so they run
// the real lock code in separate PIDs.

import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withLockFile } from '../../src/cni/ipam/lock.js';

let dir: string;
let child: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mrd-lock-'));
  const entry = join(dir, 'child.ts');
  const lockModule = resolve(import.meta.dirname, '../../src/cni/ipam/lock.ts');
  await writeFile(
    entry,
    [
      `import { readFile, writeFile } from 'node:fs/promises';`,
      `import { withLockFile } from ${JSON.stringify(lockModule)};`,
      `const [lock, counter, rounds] = process.argv.slice(2);`,
      `void (async () => {`,
      `  for (let i = 0; i < Number(rounds); i++) {`,
      `    await withLockFile(lock, async () => {`,
      `      const n = Number(await readFile(counter, 'utf8'));`,
      `      await writeFile(counter, String(n + 1));`,
      `    });`,
      `  }`,
      `})();`,
    ].join('\n'),
  );
  child = join(dir, 'child.cjs');
  await build({ entryPoints: [entry], outfile: child, bundle: true, platform: 'node', format: 'cjs', logLevel: 'error' });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const run = (args: string[]): Promise<number | null> =>
  new Promise((res, rej) => {
    const p = spawn(process.execPath, [child, ...args], { stdio: 'ignore' });
    p.on('error', rej);
    p.on('close', res);
  });

describe('lock file across processes', () => {
  it('40 processes taking the lock once and exiting lose no update', async () => {
    const lock = join(dir, 'lock');
    const counter = join(dir, 'counter');
    await writeFile(counter, '0');
    const codes = await Promise.all(Array.from({ length: 40 }, () => run([lock, counter, '1'])));
    expect(codes.every((c) => c === 0)).toBe(true);
    expect(Number(await readFile(counter, 'utf8'))).toBe(40);
  }, 60_000);

  it('holders SIGKILLed at any point never leave a lock that blocks the next taker', async () => {
    // The CI failure this guards: a kill between creating the lock and writing the PID left an
    // empty lock that only aged out after 30 s. Now the lock appears complete or not at all.
    const sub = join(dir, 'killed');
    await mkdir(sub);
    const lock = join(sub, 'lock');
    const counter = join(sub, 'counter');
    await writeFile(counter, '0');
    for (let round = 0; round < 8; round++) {
      const kids = Array.from({ length: 6 }, () => spawn(process.execPath, [child, lock, counter, '100000'], { stdio: 'ignore' }));
      await new Promise((r) => setTimeout(r, 60 + round * 15));
      await Promise.all(kids.map((k) => new Promise((r) => { k.on('close', r); k.kill('SIGKILL'); })));
      const t0 = Date.now();
      expect(await withLockFile(lock, async () => 'taken', { timeoutMs: 3_000 })).toBe('taken');
      expect(Date.now() - t0).toBeLessThan(3_000);
    }
    // Only the counter remains: no lock, no private files of killed holders, no breaker file.
    const left = (await readdir(sub)).filter((n) => n !== 'counter');
    expect(left).toEqual([]);
  }, 60_000);

  it('the lock file is never seen without its owner PID in it', async () => {
    const sub = join(dir, 'watched');
    await mkdir(sub);
    const lock = join(sub, 'lock');
    const counter = join(sub, 'counter');
    await writeFile(counter, '0');
    const kids = Array.from({ length: 6 }, () => run([lock, counter, '150']));
    let done = false;
    void Promise.all(kids).then(() => (done = true));
    let seen = 0;
    const withoutPid: string[] = [];
    while (!done) {
      const text = await readFile(lock, 'utf8').catch(() => undefined);
      if (text === undefined) continue;
      seen++;
      if (!/^\d+ [0-9a-f]{16}$/.test(text)) withoutPid.push(text);
    }
    expect(Number(await readFile(counter, 'utf8'))).toBe(900);
    expect(seen).toBeGreaterThan(50);
    expect(withoutPid).toEqual([]);
  }, 60_000);
});

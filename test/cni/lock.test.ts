// The lock file across real processes: holders that release and exit at once look "dead" to a
// waiter that read their PID a moment earlier, the race that made 50 concurrent DELs lose
// updates. Each child takes the lock, increments a counter file and exits; no increment may be
// lost. Children are a tiny script bundled from src with esbuild (a devDependency), so they run
// the real lock code in separate PIDs.

import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

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
});

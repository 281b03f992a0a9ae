// Drive `meridian lab` as a user does: the built CLI (dist/meridian.js) in a subprocess, with a
// state directory and namespace prefix of the test's own, so it never meets a user's lab. Every
// lab a test starts is taken down after it (also when the test fails).

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach } from 'vitest';
import { listNetns } from './netns.js';

const MERIDIAN = resolve(import.meta.dirname, '../../dist/meridian.js');

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function meridian(args: readonly string[], timeoutMs = 120_000): Promise<CliResult> {
  return new Promise((res) => {
    execFile(process.execPath, [MERIDIAN, ...args], { timeout: timeoutMs, maxBuffer: 32 << 20, env: { PATH: process.env['PATH'] ?? '', NO_COLOR: '1' } }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
      res({ code, stdout, stderr });
    });
  });
}

let seq = 0;

export class TestLab {
  readonly dir = mkdtempSync(join(tmpdir(), 'mrd-lab-'));
  readonly name = `t${process.pid % 100000}n${++seq}`;

  async run(args: readonly string[], opts: { ok?: boolean; timeoutMs?: number } = {}): Promise<CliResult> {
    const [sub, ...rest] = args;
    const full = ['lab', ...(sub === 'node' ? [sub, rest[0] ?? '', ...rest.slice(1)] : [sub ?? '', ...rest]), '--dir', this.dir];
    const r = await meridian(sub === 'up' ? [...full, '--name', this.name] : full, opts.timeoutMs);
    if (opts.ok !== false && r.code !== 0) throw new Error(`meridian ${full.join(' ')} exited ${r.code}\n${r.stderr}\n${r.stdout}`);
    return r;
  }

  async json<T>(args: readonly string[]): Promise<T> {
    return JSON.parse((await this.run([...args, '--json'])).stdout) as T;
  }

  /** Namespaces with this lab's prefix that exist now. */
  namespaces(): string[] {
    return listNetns().filter((n) => n.startsWith(`${this.name}-`));
  }

  async down(): Promise<void> {
    await this.run(['down'], { ok: false });
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A fresh TestLab per test, taken down after it. */
export function useLabs(): () => TestLab {
  const labs: TestLab[] = [];
  afterEach(async () => {
    for (const l of labs.splice(0)) await l.down();
  });
  return () => {
    const l = new TestLab();
    labs.push(l);
    return l;
  };
}

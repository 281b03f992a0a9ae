// The on-disk store under contention: concurrent updates never lose one, and a lock left by a
// dead process is broken while a live holder's is respected.

import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { allocate } from '../../src/cni/ipam/allocator.js';
import { fileStore } from '../../src/cni/ipam/file-store.js';
import { withLockFile } from '../../src/cni/ipam/lock.js';
import { resolvePools } from '../../src/cni/ipam/pools.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mrd-store-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('file store', () => {
  it('serialises 30 concurrent allocations without losing or duplicating any', async () => {
    const pools = resolvePools([[{ subnet: '10.5.0.0/24' }]], undefined);
    const store = fileStore(dir, 'net');
    const ips = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        store.update((s) => {
          const o = allocate(s, pools, { containerId: `c${i}`, ifname: 'eth0', netns: undefined, now: 0 });
          if (o.type !== 'allocated') throw new Error('exhausted');
          return { state: o.state, value: o.ips[0]!.ip };
        }),
      ),
    );
    expect(new Set(ips).size).toBe(30);
    const doc = JSON.parse(await readFile(join(dir, 'net', 'allocations.json'), 'utf8')) as { allocations: unknown[] };
    expect(doc.allocations).toHaveLength(30);
  });

  it('breaks a lock whose owner pid is dead, waits for a live one, and times out with code 11', async () => {
    const lock = join(dir, 'lock');
    await mkdir(dir, { recursive: true });
    await writeFile(lock, '999999');
    expect(await withLockFile(lock, async () => 'ran', { isAlive: () => false })).toBe('ran');

    await writeFile(lock, String(process.pid));
    const e = await withLockFile(lock, async () => 'ran', { timeoutMs: 50 }).catch((x: unknown) => x);
    expect(e).toMatchObject({ cniCode: 11 });
    // An old lock is stale even if its pid looks alive (pid reuse).
    expect(await withLockFile(lock, async () => 'ran', { staleMs: -1 })).toBe('ran');
  });
});

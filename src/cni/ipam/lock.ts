// A cross-process lock file, because Node has no flock(2). Acquire = create the file with O_EXCL
// ("wx") and write our PID into it; release = unlink it. A lock whose owner PID no longer exists
// (a plugin killed mid-ADD) is stale and is broken; so is one older than `staleMs` (PID reuse, or
// an owner in another PID namespace), since no holder keeps it for more than a few milliseconds.
//
// Breaking a stale lock renames it to a unique name first and checks what was renamed: rename is
// atomic, so of two processes breaking the same stale lock only one gets it; if what we renamed
// turns out to be a live owner's fresh lock (it was re-taken between our read and our rename), it
// is put back with link(2), which fails rather than overwrite a third process's lock.

import { link, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { CNI_CODES, CniError } from '../errors.js';

export interface LockOptions {
  readonly timeoutMs?: number;
  readonly staleMs?: number;
  /** Injected for tests; default: process.kill(pid, 0). */
  readonly isAlive?: (pid: number) => boolean;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function ownerOf(path: string): Promise<{ pid: number | undefined; ageMs: number } | undefined> {
  try {
    const [text, st] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    const pid = /^\d+$/.test(text.trim()) ? Number(text.trim()) : undefined;
    return { pid, ageMs: Date.now() - st.mtimeMs };
  } catch {
    return undefined; // released meanwhile
  }
}

async function breakStale(path: string, isAlive: (pid: number) => boolean, staleMs: number): Promise<void> {
  const aside = `${path}.stale.${process.pid}`;
  try {
    await rename(path, aside);
  } catch {
    return; // someone else broke or released it
  }
  const o = await ownerOf(aside);
  // An empty file is a holder between open and write: stale only by age, as in withLockFile.
  const stillStale = o === undefined || (o.pid !== undefined && !isAlive(o.pid)) || o.ageMs > staleMs;
  if (!stillStale) await link(aside, path).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
}

/** Take the lock, run `fn`, release the lock. Times out with code 11 (try again later). */
export async function withLockFile<T>(path: string, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const staleMs = opts.staleMs ?? 30_000;
  const isAlive = opts.isAlive ?? pidAlive;
  const deadline = Date.now() + timeoutMs;
  let delay = 1;
  for (;;) {
    try {
      const fh = await open(path, 'wx', 0o600);
      try {
        await fh.writeFile(String(process.pid));
      } finally {
        await fh.close();
      }
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const o = await ownerOf(path);
    // An empty file is a holder between open and write; it is stale only once old.
    if (o !== undefined && ((o.pid !== undefined && !isAlive(o.pid)) || o.ageMs > staleMs)) {
      await breakStale(path, isAlive, staleMs);
      continue;
    }
    if (Date.now() >= deadline) {
      throw new CniError(CNI_CODES.tryAgainLater, `IPAM lock ${path} is held by pid ${String(o?.pid ?? '?')}`, `waited ${timeoutMs} ms`);
    }
    await sleep(delay);
    delay = Math.min(delay * 2, 20);
  }
  try {
    return await fn();
  } finally {
    await unlink(path).catch(() => undefined);
  }
}

// A cross-process lock file, because Node has no flock(2). Acquire = write "<pid> <nonce>" into a
// private file `<path>.<pid>.<nonce>` and link(2) it to `path` (atomic, EEXIST when held), so the lock
// never exists without its owner in it: a plugin SIGKILLed between an O_EXCL create and its write
// once left an empty lock that only aged out after 30 s, and DELs timed out behind it. Release =
// unlink. A private file left by a kill before the link is removed by the next holder. A lock whose owner PID no longer
// exists (a plugin killed mid-ADD) is stale and is broken; so is one older than `staleMs` (PID
// reuse, or an owner in another PID namespace), since no holder keeps it for more than a few
// milliseconds.
//
// Breaking must never remove a live lock. Reading the owner and removing the file are two steps,
// and between them the stale-looking owner may have released (a holder that just exited looks
// dead) and another process may have taken a fresh lock. So breakers serialise on a second lock,
// `<path>.break`, and under it re-read the lock and unlink it only if it is still the very file
// judged stale (same inode, same content). Nobody else can remove or replace that file meanwhile:
// its owner is dead (or over its time), and other breakers wait. An earlier version renamed the
// lock aside and linked it back when it turned out live; a third process could take the lock in
// that window, and 50 concurrent DELs lost updates (test/netns/cni-failure.test.ts).
//
// A breaker killed while holding `<path>.break` leaves it behind; it is removed once older than
// BREAK_STALE_MS (breaking takes a millisecond), checked by identity the same way.

import { randomBytes } from 'node:crypto';
import { link, open, readdir, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CNI_CODES, CniError } from '../errors.js';

export interface LockOptions {
  readonly timeoutMs?: number;
  readonly staleMs?: number;
  /** Injected for tests; default: process.kill(pid, 0). */
  readonly isAlive?: (pid: number) => boolean;
}

const BREAK_STALE_MS = 2_000;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Owner {
  /** Identity of the file: inode and content, read through one descriptor so they match. */
  readonly ino: number;
  readonly text: string;
  readonly pid: number | undefined;
  readonly ageMs: number;
}

async function ownerOf(path: string): Promise<Owner | undefined> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch {
    return undefined; // released meanwhile
  }
  try {
    const st = await fh.stat();
    const text = await fh.readFile('utf8');
    // "<pid> <nonce>"; a bare "<pid>" (older plugin versions) is read the same way.
    const m = /^(\d+)(\s|$)/.exec(text.trim());
    return { ino: st.ino, text, pid: m !== null ? Number(m[1]) : undefined, ageMs: Date.now() - st.mtimeMs };
  } catch {
    return undefined;
  } finally {
    await fh.close();
  }
}

const sameFile = (a: Owner, b: Owner): boolean => a.ino === b.ino && a.text === b.text;

/** Publish `path` with our identity in it; undefined when it exists. */
async function tryCreate(path: string): Promise<string | undefined> {
  const nonce = randomBytes(8).toString('hex');
  const text = `${process.pid} ${nonce}`;
  const tmp = `${path}.${process.pid}.${nonce}`;
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(text);
  } finally {
    await fh.close();
  }
  try {
    await link(tmp, path);
    return text;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw e;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

/** Private files `<path>.<pid>.<nonce>` of dead PIDs: plugins killed between write and link. */
async function removeOrphans(path: string, isAlive: (pid: number) => boolean): Promise<void> {
  const prefix = `${basename(path)}.`;
  const names = await readdir(dirname(path)).catch(() => [] as string[]);
  for (const name of names) {
    const m = /^(?:break\.)?(\d+)\.[0-9a-f]{16}$/.exec(name.startsWith(prefix) ? name.slice(prefix.length) : '');
    if (m !== null && !isAlive(Number(m[1]))) await unlink(join(dirname(path), name)).catch(() => undefined);
  }
}

/** Unlink `path` only if it is still the file `seen` (see the header for why this is safe enough). */
async function unlinkIfSame(path: string, seen: Owner): Promise<void> {
  const now = await ownerOf(path);
  if (now !== undefined && sameFile(now, seen)) await unlink(path).catch(() => undefined);
}

/** Returns false when another process is breaking it (the caller waits a little and retries). */
async function breakStale(path: string, seen: Owner, stale: (o: Owner) => boolean): Promise<boolean> {
  const breaker = `${path}.break`;
  if ((await tryCreate(breaker)) === undefined) {
    const b = await ownerOf(breaker);
    if (b !== undefined && b.ageMs > BREAK_STALE_MS) await unlinkIfSame(breaker, b);
    return false;
  }
  try {
    const now = await ownerOf(path);
    if (now !== undefined && sameFile(now, seen) && stale(now)) await unlink(path).catch(() => undefined);
  } finally {
    await unlink(breaker).catch(() => undefined);
  }
  return true;
}

/** Take the lock, run `fn`, release the lock. Times out with code 11 (try again later). */
export async function withLockFile<T>(path: string, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const staleMs = opts.staleMs ?? 30_000;
  const isAlive = opts.isAlive ?? pidAlive;
  // A lock without a PID (an older plugin's, killed between create and write) is stale by age only.
  const stale = (o: Owner): boolean => (o.pid !== undefined && !isAlive(o.pid)) || o.ageMs > staleMs;
  const deadline = Date.now() + timeoutMs;
  let delay = 1;
  let mine: string | undefined;
  for (;;) {
    mine = await tryCreate(path);
    if (mine !== undefined) break;
    const o = await ownerOf(path);
    if (o !== undefined && stale(o) && (await breakStale(path, o, stale))) continue;
    if (Date.now() >= deadline) {
      throw new CniError(CNI_CODES.tryAgainLater, `IPAM lock ${path} is held by pid ${String(o?.pid ?? '?')}`, `waited ${timeoutMs} ms`);
    }
    await sleep(delay);
    delay = Math.min(delay * 2, 20);
  }
  // A readdir of a directory of three files: cheap enough to do on every acquire.
  await removeOrphans(path, isAlive);
  try {
    return await fn();
  } finally {
    // Only our own file: had we overrun staleMs, the lock may have been broken and re-taken.
    const now = await ownerOf(path);
    if (now !== undefined && now.text === mine) await unlink(path).catch(() => undefined);
  }
}

// The on-disk IPAM store: <dataDir>/<network>/allocations.json under <dataDir>/<network>/lock.
// One JSON document rather than host-local's file per IP: one read and one write per ADD. Writes
// go to a temporary file renamed over the old one, so a reader (CHECK) or a plugin killed
// mid-write never sees half a document. No fsync: it cost 6 ms per write on the dev VM (ext4),
// about a tenth of an ADD; ext4 (auto_da_alloc) flushes a file renamed over another anyway, and
// what a power loss could still cost is the newest allocations of containers that did not survive
// the reboot either (their netns are gone, so the sweep and the runtime's re-ADDs converge).
// host-local does not fsync either. A document that does not parse is code 104; quarantine()
// renames it to allocations.json.corrupt-<ms> and writes the state DEL or GC rebuilt.

import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { CNI_CODES, CniError } from '../errors.js';
import { EMPTY_STATE, type IpamState } from './allocator.js';
import { withLockFile, type LockOptions } from './lock.js';
import type { IpamStore, StoreStep } from './store.js';

export function networkDir(dataDir: string, network: string): string {
  return join(dataDir, network);
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function isAllocation(v: unknown): boolean {
  return isRecord(v) && typeof v['containerId'] === 'string' && typeof v['ifname'] === 'string' && typeof v['ip'] === 'string' && typeof v['at'] === 'number';
}

function parseState(text: string, path: string): IpamState {
  try {
    const doc = JSON.parse(text) as unknown;
    if (!isRecord(doc)) throw new Error('not a JSON object');
    const { allocations, lastReserved, sweptAt } = doc;
    if (!Array.isArray(allocations)) throw new Error('allocations is not a list');
    const bad = allocations.findIndex((a) => !isAllocation(a));
    if (bad >= 0) throw new Error(`allocations[${bad}] is not {containerId, ifname, ip, at}`);
    if (lastReserved !== undefined && !isRecord(lastReserved)) throw new Error('lastReserved is not an object');
    if (sweptAt !== undefined && typeof sweptAt !== 'number') throw new Error('sweptAt is not a number');
    return {
      allocations: allocations as IpamState['allocations'],
      lastReserved: (lastReserved ?? {}) as IpamState['lastReserved'],
      ...(sweptAt !== undefined ? { sweptAt } : {}),
    };
  } catch (e) {
    throw new CniError(
      CNI_CODES.ipamStateCorrupt,
      `IPAM state ${path} is corrupt (DEL and GC move it aside and rebuild it from the node's pod routes)`,
      e instanceof Error ? e.message : String(e),
    );
  }
}

/** The error a corrupt state file gives (DEL and GC recover from it; ADD and CHECK report it). */
export const isCorrupt = (e: unknown): e is CniError => e instanceof CniError && e.cniCode === CNI_CODES.ipamStateCorrupt;

async function load(path: string): Promise<IpamState> {
  try {
    return parseState(await readFile(path, 'utf8'), path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY_STATE;
    throw e;
  }
}

async function save(path: string, state: IpamState): Promise<void> {
  const tmp = `${path}.tmp.${process.pid}`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(JSON.stringify(state) + '\n');
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}

export function fileStore(dataDir: string, network: string, lockOpts: LockOptions = {}): IpamStore {
  const dir = networkDir(dataDir, network);
  const statePath = join(dir, 'allocations.json');
  const lockPath = join(dir, 'lock');
  const locked = async <T>(fn: () => Promise<T>): Promise<T> => {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return withLockFile(lockPath, fn, lockOpts);
  };
  return {
    read: () => load(statePath),
    update: <T>(step: StoreStep<T>): Promise<T> =>
      locked(async () => {
        const r = step(await load(statePath));
        if (r.state !== undefined) await save(statePath, r.state);
        return r.value;
      }),
    quarantine: (replacement: IpamState, now: number): Promise<string | undefined> =>
      locked(async () => {
        try {
          await load(statePath);
          return undefined; // not corrupt (any more): another DEL or GC recovered it first
        } catch (e) {
          if (!isCorrupt(e)) throw e;
        }
        // Kept, not deleted: what it still holds may explain the corruption, or restore records.
        const aside = `${statePath}.corrupt-${now}`;
        await rename(statePath, aside);
        await save(statePath, replacement);
        return aside;
      }),
  };
}

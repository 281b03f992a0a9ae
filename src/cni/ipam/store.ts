// The port between the pure allocator and where its state lives. `update` runs a pure step under
// the store's exclusive lock: read the state, compute, persist the new state if there is one, unlock.
// file-store.ts is the real one; memoryStore is the fake for unit tests.

import { EMPTY_STATE, type IpamState } from './allocator.js';

export type StoreStep<T> = (state: IpamState) => { readonly state?: IpamState; readonly value: T };

export interface IpamStore {
  update<T>(step: StoreStep<T>): Promise<T>;
  /** A consistent snapshot without taking the lock (writes are atomic renames). */
  read(): Promise<IpamState>;
  /**
   * Under the lock: if the stored state is (still) corrupt, keep the corrupt document aside and
   * store `replacement` instead. Returns where the corrupt document went; undefined when there was
   * nothing to recover (another process got there first).
   */
  quarantine(replacement: IpamState, now: number): Promise<string | undefined>;
}

export function memoryStore(initial: IpamState = EMPTY_STATE): IpamStore & { readonly current: () => IpamState } {
  let state = initial;
  let queue: Promise<unknown> = Promise.resolve();
  return {
    current: () => state,
    read: () => Promise.resolve(state),
    // Memory never holds a corrupt document.
    quarantine: () => Promise.resolve(undefined),
    update<T>(step: StoreStep<T>): Promise<T> {
      // Serialise like the file lock does, so tests see the same semantics.
      const next = queue.then(() => {
        const r = step(state);
        if (r.state !== undefined) state = r.state;
        return r.value;
      });
      queue = next.catch(() => undefined);
      return next;
    },
  };
}

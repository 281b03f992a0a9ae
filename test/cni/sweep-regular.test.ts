// The regular sweep ADD runs (kubenet's "regularly releasing assigned but unused IP addresses"):
// at most every SWEEP_INTERVAL_MS, it releases allocations whose veth and netns are gone, keeps
// the rest, and records when it ran, so runtimes that never send GC do not leak addresses.

import { describe, expect, it } from 'vitest';
import { SWEEP_GRACE_MS, SWEEP_INTERVAL_MS, sweepIfDue } from '../../src/cni/attachment.js';
import { memoryStore } from '../../src/cni/ipam/store.js';

const T0 = Date.parse('2026-11-23T00:00:00Z');
const gone = { containerId: 'c-gone', ifname: 'eth0', netns: '/nonexistent/netns/c-gone', ip: '10.244.1.2', hostVeth: 'mrdnotthere00001', at: T0 };
const fresh = { containerId: 'c-new', ifname: 'eth0', netns: '/nonexistent/netns/c-new', ip: '10.244.1.3', hostVeth: 'mrdnotthere00002', at: T0 + 2 * SWEEP_GRACE_MS };

describe('sweepIfDue', () => {
  it('sweeps on the first ADD, then not again before the interval, then again', async () => {
    const store = memoryStore({ allocations: [gone], lastReserved: {} });
    const t1 = T0 + SWEEP_GRACE_MS + 1;
    expect((await sweepIfDue(store, t1)).map((a) => a.containerId)).toEqual(['c-gone']);
    expect(store.current()).toEqual({ allocations: [], lastReserved: {}, sweptAt: t1 });

    // A container that vanishes now is not released before the next interval...
    await store.update((s) => ({ state: { ...s, allocations: [fresh] }, value: undefined }));
    const t2 = fresh.at + SWEEP_GRACE_MS + 1;
    expect(t2 - t1).toBeLessThan(SWEEP_INTERVAL_MS);
    expect(await sweepIfDue(store, t2)).toEqual([]);
    expect(store.current().allocations).toHaveLength(1);
    // ...and is at the next.
    const t3 = t1 + SWEEP_INTERVAL_MS;
    expect((await sweepIfDue(store, t3)).map((a) => a.containerId)).toEqual(['c-new']);
    expect(store.current().sweptAt).toBe(t3);
  });

  it('sweeps when the recorded time is in the future (a clock that jumped back)', async () => {
    const store = memoryStore({ allocations: [gone], lastReserved: {}, sweptAt: T0 + 10 * SWEEP_INTERVAL_MS });
    expect(await sweepIfDue(store, T0 + SWEEP_GRACE_MS + 1)).toHaveLength(1);
  });
});

// The route programmer against a fake `ip`: a full reconcile reads the kernel back; later
// updates are planned from what it knows (no read-back, one line per change); a failed apply
// makes the next reconcile a full one again.

import { describe, expect, it } from 'vitest';
import { fakeRunner } from '../../../src/net/fake-runner.js';
import { RouteProgrammer } from '../../../src/routes/programmer.js';
import type { DesiredRoute } from '../../../src/routes/plan.js';

const route = (dst: string, gw = '10.0.0.1'): DesiredRoute => ({ dst, type: 'unicast', nexthops: [{ gateway: gw }] });

describe('RouteProgrammer', () => {
  it('reads the kernel once, then plans only the changed destinations', async () => {
    let failNext = false;
    const f = fakeRunner((c) => {
      if (c.argv.includes('-json')) {
        // The kernel already has 20.0.0.0/24, with the device it chose.
        return { stdout: c.argv.includes('-4') ? '[{"dst":"20.0.0.0/24","gateway":"10.0.0.1","dev":"eth0","protocol":"180","metric":20,"flags":[]}]' : '' };
      }
      if (failNext) {
        failNext = false;
        return { exitCode: 2, stderr: 'Error: Nexthop has invalid gateway.' };
      }
      return undefined;
    });
    const p = new RouteProgrammer({ run: f.run, protocol: 180, table: 254, metric: 20, debounceMs: 60_000 });
    p.stop(); // no timers: the test calls reconcile() itself
    // The source agrees with the updates, as the Loc-RIB does in the agent.
    const table = new Map([route('20.0.0.0/24'), route('20.0.1.0/24')].map((r) => [r.dst, r]));
    const update = (changes: [string, DesiredRoute | undefined][]) => {
      for (const [dst, r] of changes) if (r === undefined) table.delete(dst); else table.set(dst, r);
      p.updateDesired(changes);
    };
    p.setDesired(() => [...table.values()]);
    expect(p.fullSyncPending).toBe(true);
    expect((await p.reconcile()).map((o) => `${o.type} ${o.route.dst}`)).toEqual(['replace 20.0.1.0/24']);
    const reads = () => f.calls.filter((c) => c.argv.includes('-json')).length;
    expect(reads()).toBe(2);

    update([
      ['20.0.2.0/24', route('20.0.2.0/24')],
      ['20.0.0.0/24', undefined],
      ['20.0.1.0/24', route('20.0.1.0/24')], // unchanged: nothing to do
    ]);
    expect((await p.reconcile()).map((o) => `${o.type} ${o.route.dst}`)).toEqual(['del 20.0.0.0/24', 'replace 20.0.2.0/24']);
    expect(reads()).toBe(2);
    expect(f.calls.at(-1)?.input).toBe('route del 20.0.0.0/24 proto 180 table 254 metric 20\nroute replace 20.0.2.0/24 proto 180 table 254 metric 20 via 10.0.0.1\n');

    // A refused batch: what the kernel holds is unknown, so the next reconcile reads it again.
    failNext = true;
    update([['20.0.3.0/24', route('20.0.3.0/24', '10.9.9.9')]]);
    await expect(p.reconcile()).rejects.toThrow(/invalid gateway/);
    await p.reconcile();
    expect(reads()).toBe(4);
    expect(p.installed.map((r) => r.dst)).toEqual(['20.0.1.0/24', '20.0.2.0/24', '20.0.3.0/24']);
  });
});

// PolicySyncer with a fake kernel, fake clock and fake timers; and assumed.ts, the "what the kernel
// holds after applying" view that incremental syncs plan against.

import { describe, expect, it } from 'vitest';
import { parseIpsetSave } from '../../../src/net/ipset.js';
import { parseIptablesSave } from '../../../src/net/iptables.js';
import { assumedAfter } from '../../../src/policy/assumed.js';
import { compile } from '../../../src/policy/compile.js';
import type { CompiledPolicy } from '../../../src/policy/ir.js';
import type { PolicyModel } from '../../../src/policy/model.js';
import { isEmptyPlan, planPolicy, type ObservedPolicy, type PolicyPlan } from '../../../src/policy/plan.js';
import { renderIpsets } from '../../../src/policy/render-ipset.js';
import { renderTable } from '../../../src/policy/render-iptables.js';
import { PolicySyncer, type Timer } from '../../../src/policy/syncer.js';
import { incrementalCompiler } from '../../../src/policy/incremental.js';
import { np } from './e2e-cases.js';
import { modelWith } from './e2e-model.js';

const POLICIES =
  np('x', 'deny', 'podSelector: {}') +
  np('x', 'clients', 'podSelector: {}\ningress:\n- from:\n  - podSelector: {matchLabels: {role: client}}\n    namespaceSelector: {}\n  ports: [{port: serve-80-tcp}]') +
  np('y', 'egress', 'podSelector: {}\npolicyTypes: [Egress]\negress:\n- to:\n  - ipBlock: {cidr: 10.244.0.0/16, except: [10.244.3.0/24]}');
const base = modelWith(POLICIES, { dualStack: true });
const relabelled = modelWith(POLICIES, { dualStack: true, podOverrides: { 'z/b': { labels: { pod: 'b', role: 'client' } } } });
const changed = modelWith(POLICIES + np('z', 'deny', 'podSelector: {}'), { dualStack: true });
const c = (m: PolicyModel): CompiledPolicy => compile(m, { node: 'node-1' });

/** What the kernel would print after a fresh restore of `c`, parsed the way the writer parses it. */
function observedFromRestore(cp: CompiledPolicy): ObservedPolicy {
  const sets = parseIpsetSave(renderIpsets(cp.sets).join('\n'));
  const table = (text: string) => parseIptablesSave(text.replace(/^-I (\S+) 1 /gm, '-A $1 ')).get('filter');
  return { sets, tables: new Map([[4, table(renderTable(cp.v4))], [6, table(renderTable(cp.v6))]]) };
}

describe('assumedAfter', () => {
  it('plans nothing against itself', () => {
    expect(isEmptyPlan(planPolicy(c(base), assumedAfter(c(base))))).toBe(true);
  });

  it('plans exactly what planning against the restored kernel text plans', () => {
    for (const next of [relabelled, changed, base]) {
      expect(planPolicy(c(next), assumedAfter(c(base)))).toEqual(planPolicy(c(next), observedFromRestore(c(base))));
    }
  });
});

class FakeTimers {
  private seq = 0;
  readonly pending = new Map<number, { ms: number; fn: () => void }>();
  set = (ms: number, fn: () => void): Timer => {
    const id = ++this.seq;
    this.pending.set(id, { ms, fn });
    return { cancel: () => this.pending.delete(id) };
  };
  /** Fire every pending timer of this duration. */
  fire(ms: number): void {
    for (const [id, t] of [...this.pending]) {
      if (t.ms !== ms) continue;
      this.pending.delete(id);
      t.fn();
    }
  }
}

function setup(opts: { failApply?: () => boolean; compile?: (m: PolicyModel) => CompiledPolicy } = {}) {
  const timers = new FakeTimers();
  let kernel: ObservedPolicy = { sets: new Map(), tables: new Map() };
  let lastDesired: CompiledPolicy | undefined;
  let clock = 0;
  const calls = { observe: 0, apply: [] as PolicyPlan[] };
  const syncer = new PolicySyncer({
    compile: (m) => (lastDesired = (opts.compile ?? c)(m)),
    observe: async () => {
      calls.observe++;
      return kernel;
    },
    apply: async (plan) => {
      clock += 5;
      if (opts.failApply?.() === true) throw new Error('iptables-restore: exited 1');
      calls.apply.push(plan);
      // The fake kernel ends up holding exactly what was desired.
      if (lastDesired !== undefined) kernel = assumedAfter(lastDesired);
    },
    now: () => clock,
    setTimer: timers.set,
    resyncIntervalMs: 30_000,
    retryMs: 1_000,
  });
  return { syncer, timers, calls, kernel: () => kernel, setKernel: (k: ObservedPolicy) => (kernel = k) };
}

describe('PolicySyncer', () => {
  it('applies the same plans with the incremental compiler as with the full one, reading the kernel only once', async () => {
    const run = async (compile?: (m: PolicyModel) => CompiledPolicy): Promise<{ plans: PolicyPlan[]; observe: number }> => {
      const { syncer, calls } = setup({ compile });
      for (const m of [base, relabelled, changed, relabelled, base]) {
        syncer.update(m);
        await syncer.idle();
      }
      return { plans: calls.apply, observe: calls.observe };
    };
    const full = await run();
    expect(full.plans.length).toBe(5);
    expect(full.observe).toBe(1);
    expect(await run(incrementalCompiler({ node: 'node-1' }))).toEqual(full);
  });

  it('does nothing before the first model, so a restarted agent leaves the old rules enforcing', async () => {
    const { syncer, timers, calls } = setup();
    syncer.start();
    timers.fire(30_000);
    await syncer.idle();
    expect(calls).toEqual({ observe: 0, apply: [] });
  });

  it('first sync reads the kernel; later changes are planned against what it applied', async () => {
    const { syncer, calls } = setup();
    syncer.update(base);
    await syncer.idle();
    expect(calls.observe).toBe(1);
    expect(syncer.status().last?.kind).toBe('resync');

    syncer.update(relabelled);
    await syncer.idle();
    expect(calls.observe).toBe(1);
    const last = syncer.status().last;
    expect(last?.kind).toBe('incremental');
    // A label change elsewhere in the cluster: set members only.
    expect(last?.plan.iptables).toEqual([]);
    expect(last?.plan.ipsetBefore.length).toBeGreaterThan(0);
    expect(last?.durationMs).toBe(5);
  });

  it('coalesces updates that arrive while a sync runs', async () => {
    const { syncer, calls, kernel } = setup();
    syncer.update(base);
    syncer.update(relabelled);
    syncer.update(changed);
    await syncer.idle();
    // The first sync had started with `base`; the two later models make one more sync, for the latest.
    expect(calls.apply).toHaveLength(2);
    expect(syncer.status().syncs).toBe(2);
    expect(isEmptyPlan(planPolicy(c(changed), kernel()))).toBe(true);
  });

  it('periodic resync reads the kernel back and repairs tampering', async () => {
    const { syncer, timers, calls, kernel, setKernel } = setup();
    syncer.start();
    syncer.update(base);
    await syncer.idle();

    timers.fire(30_000);
    await syncer.idle();
    expect(calls.observe).toBe(2);
    expect(syncer.status().repairs).toBe(0);
    expect(calls.apply).toHaveLength(1);

    // Someone flushes MERIDIAN-TO-POD and deletes a member of a set.
    const k = kernel();
    const v4 = k.tables.get(4);
    const chains = new Map(v4?.chains);
    chains.set('MERIDIAN-TO-POD', { name: 'MERIDIAN-TO-POD', policy: undefined, rules: [] });
    const [setName, set] = [...k.sets].find(([, s]) => s.type !== 'hash:net' && s.members.length > 1) ?? [];
    if (setName === undefined || set === undefined) throw new Error('no set with members');
    const sets = new Map(k.sets).set(setName, { ...set, members: set.members.slice(1) });
    setKernel({ sets, tables: new Map(k.tables).set(4, { name: 'filter', chains }) });

    timers.fire(30_000);
    await syncer.idle();
    expect(syncer.status().repairs).toBe(1);
    const repair = syncer.status().last?.plan;
    expect(repair?.iptables.map((t) => t.text).join('')).toContain(':MERIDIAN-TO-POD - [0:0]');
    // Rules change too, so the member comes back after them (never a wider moment in between).
    expect(repair?.ipsetAfter.join('\n')).toContain(`add ${setName} ${set.members[0]?.split(' ')[0]}`);
    // The resync timer is re-armed.
    expect([...timers.pending.values()].map((t) => t.ms)).toEqual([30_000]);
  });

  it('retries a failed apply with a kernel read-back', async () => {
    let fail = true;
    const { syncer, timers, calls } = setup({ failApply: () => fail });
    syncer.start();
    syncer.update(base);
    await syncer.idle();
    expect(syncer.status()).toMatchObject({ failures: 1, syncs: 0, lastError: 'iptables-restore: exited 1' });
    fail = false;
    timers.fire(1_000);
    await syncer.idle();
    expect(syncer.status()).toMatchObject({ failures: 1, syncs: 1 });
    expect(syncer.status().lastError).toBeUndefined();
    expect(calls.observe).toBe(2);
    syncer.stop();
    expect(timers.pending.size).toBe(0);
  });

  it('reports the model last applied, and none after a failed apply (the kernel holds neither)', async () => {
    let fail = false;
    const { syncer } = setup({ failApply: () => fail });
    syncer.start();
    syncer.update(base);
    await syncer.idle();
    expect(syncer.appliedModel()).toBe(base);
    // A new model fails half way; a later view equal to `base` must not read as in force.
    const other = { ...base, pods: [] };
    fail = true;
    syncer.update(other);
    await syncer.idle();
    expect(syncer.appliedModel()).toBeUndefined();
    syncer.stop();
  });
});

// Policy engine bench: prints one JSON object.
//   fullSync    1,000 policies over 5,000 pods in 100 namespaces, on a node of a 50-node cluster
//               and on one node holding all pods (the worst case: every pod has dispatch rules):
//               compile (the incremental compiler, cold, as the syncer's first sync does it; the
//               reference full compile alongside), render, and apply for real into a network
//               namespace this bench creates and deletes
//   latency     pod add / label change -> enforced (the PolicySyncer's incremental path with the
//               incremental compiler, real kernel)
//   growth      our rule count, compile+render and apply time vs a naive per-pod-pair rendering
// usage: npm run bench:policy   (needs root: it makes a network namespace; touches nothing else)

import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { execRunner } from '../../src/net/exec.js';
import type { Runner } from '../../src/net/runner.js';
import { compile } from '../../src/policy/compile.js';
import { IncrementalCompiler } from '../../src/policy/incremental.js';
import type { CompiledPolicy } from '../../src/policy/ir.js';
import { modelFromObjects, type PolicyModel } from '../../src/policy/model.js';
import { renderRestore } from '../../src/policy/render.js';
import { PolicySyncer } from '../../src/policy/syncer.js';
import { planPolicy } from '../../src/policy/plan.js';
import { applyPlan, applyPolicy, observePolicy } from '../../src/policy/writer.js';
import { renderNaive } from './naive.js';
import { syntheticObjects, syntheticPod, type SyntheticOptions } from './synthetic.js';

const NODE = 'node-0';
// Named like the test harness's namespaces (mt-<pid>-…), so a killed run's namespace is swept by
// test/harness/global-setup.ts.
const NETNS = `mt-${process.pid}-0-1-bench`;

const round = (ms: number): number => Math.round(ms * 10) / 10;

function time<T>(fn: () => T): [T, number] {
  const t = performance.now();
  const v = fn();
  return [v, performance.now() - t];
}

async function timeAsync<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const v = await fn();
  return [v, performance.now() - t];
}

function ruleCount(c: CompiledPolicy): number {
  return c.v4.chains.reduce((n, ch) => n + ch.rules.length, 0) + c.v4.hooks.length;
}

function memberCount(c: CompiledPolicy): number {
  return c.sets.filter((s) => s.family === 4).reduce((n, s) => n + s.members.length, 0);
}

async function fullSync(run: Runner, nodes: number) {
  const opts: SyntheticOptions = { namespaces: 100, podsPerNamespace: 50, policiesPerNamespace: 10, nodes };
  const objects = syntheticObjects(opts);
  const model = modelFromObjects(objects);
  const [, fullCompileMs] = time(() => compile(model, { node: NODE }));
  const [compiled, compileMs] = time(() => new IncrementalCompiler({ node: NODE }).compile(model));
  const [text, renderMs] = time(() => renderRestore(compiled, [4]));
  // applyPolicy, step by step, to show where the time goes.
  const [observed, observeMs] = await timeAsync(() => observePolicy({ run, families: [4] }));
  const [plan, planMs] = time(() => planPolicy(compiled, observed, { families: [4] }));
  const [, ipsetMs] = await timeAsync(() => applyPlan({ ...plan, iptables: [], ipsetAfter: [] }, { run, families: [4] }));
  const [, iptablesMs] = await timeAsync(() => applyPlan({ ...plan, ipsetBefore: [], ipsetAfter: [] }, { run, families: [4] }));
  const [, ipsetAfterMs] = await timeAsync(() => applyPlan({ ...plan, ipsetBefore: [], iptables: [] }, { run, families: [4] }));
  const applyMs = observeMs + planMs + ipsetMs + iptablesMs + ipsetAfterMs;
  const [again, resyncMs] = await timeAsync(() => applyPolicy(compiled, { run, families: [4] }));
  return {
    objects,
    opts,
    result: {
      pods: model.pods.length,
      namespaces: model.namespaces.length,
      policies: model.policies.length,
      localPods: compiled.endpoints.length,
      chains: compiled.v4.chains.length,
      rules: ruleCount(compiled),
      ipsets: compiled.sets.filter((s) => s.family === 4).length,
      ipsetMembers: memberCount(compiled),
      restoreBytes: text.length,
      compileMs: round(compileMs),
      fullCompileMs: round(fullCompileMs),
      renderMs: round(renderMs),
      applyMs: round(applyMs),
      apply: { observeMs: round(observeMs), planMs: round(planMs), ipsetRestoreMs: round(ipsetMs + ipsetAfterMs), iptablesRestoreMs: round(iptablesMs) },
      totalMs: round(compileMs + renderMs + applyMs),
      // What a first sync of the syncer costs: the apply plans and renders the chains itself, so
      // renderRestore (the `policy compile --format restore` text) is not on that path.
      syncPathMs: round(compileMs + applyMs),
      noopResyncMs: round(resyncMs),
      noopResyncPlanEmpty: again.ipsetBefore.length + again.iptables.length + again.ipsetAfter.length === 0,
    },
  };
}

/** A (set, member) that `after` has and `before` does not, to check in the kernel. */
function firstAdded(before: ReturnType<typeof syntheticObjects>, after: ReturnType<typeof syntheticObjects>): { set: string; ip: string } | undefined {
  const was = new Map(compile(modelFromObjects(before), { node: NODE }).sets.map((s) => [s.name, new Set(s.members.map((m) => m.entry))]));
  for (const s of compile(modelFromObjects(after), { node: NODE }).sets) {
    const m = s.members.find((x) => !x.nomatch && was.get(s.name)?.has(x.entry) !== true);
    if (m !== undefined) return { set: s.name, ip: m.entry };
  }
  return undefined;
}

async function latency(run: Runner, objects: ReturnType<typeof syntheticObjects>, opts: SyntheticOptions) {
  const compiler = new IncrementalCompiler({ node: NODE });
  // Split each sync into our own work (compile + plan) and the restore execs.
  let applyMs = 0;
  const syncer = new PolicySyncer({
    compile: (m: PolicyModel) => compiler.compile(m),
    observe: () => observePolicy({ run, families: [4] }),
    apply: async (plan) => {
      const [, ms] = await timeAsync(() => applyPlan(plan, { run, families: [4] }));
      applyMs = ms;
    },
    now: () => performance.now(),
    setTimer: (ms, fn) => {
      const t = setTimeout(fn, ms);
      return { cancel: () => clearTimeout(t) };
    },
    families: [4],
  });
  syncer.update(modelFromObjects(objects));
  await syncer.idle();

  const step = async (what: string, next: ReturnType<typeof syntheticObjects>, check: { set: string; ip: string } | undefined) => {
    applyMs = 0;
    const [, ms] = await timeAsync(async () => {
      syncer.update(modelFromObjects(next));
      await syncer.idle();
    });
    const last = syncer.status().last;
    const enforced = check === undefined ? undefined : execRunner({ argv: ['ipset', 'test', check.set, check.ip], netns: NETNS, okExitCodes: [1] }).then((r) => r.exitCode === 0);
    return {
      what,
      ms: round(ms),
      compilePlanMs: round((last?.durationMs ?? 0) - applyMs),
      restoreMs: round(applyMs),
      ipsetOnly: last !== undefined && last.plan.iptables.length === 0,
      ipsetLines: last?.plan.ipsetBefore.length ?? 0,
      chainsRewritten: (last?.plan.iptables.map((t) => t.text).join('') ?? '').split('\n').filter((l) => l.startsWith(':')).length,
      enforced: await enforced,
    };
  };

  // Warm-up, not measured: a long-running agent has been through many updates, so the JIT has
  // compiled the incremental paths. Without this the first measured step of the first node pays
  // for that compilation (tens of ms), the second node's steps do not.
  for (const warm of [[...objects, { ...syntheticPod(2, 70, opts), nodeName: 'node-8' }], objects]) {
    syncer.update(modelFromObjects(warm));
    await syncer.idle();
  }

  // A client pod appears on another node in ns-1: it joins selector sets.
  const remote = { ...syntheticPod(1, 60, opts, { app: 'app-3', role: 'client' }), nodeName: 'node-9' };
  const withRemote = [...objects, remote];
  const out = [await step('pod add (another node)', withRemote, firstAdded(objects, withRemote))];

  // Namespace ns-1 moves from team t1 to t2: the "team" namespace-selector sets change members.
  const relabelled = withRemote.map((o) => (o.kind === 'Namespace' && o.name === 'ns-1' ? { ...o, labels: { ...o.labels, team: 't2' } } : o));
  out.push(await step('label change (namespace)', relabelled, firstAdded(withRemote, relabelled)));

  // A pod appears on this node: its dispatch lines and endpoint chains are new (chains rewritten).
  const local = { ...syntheticPod(3, 61, opts), nodeName: NODE };
  out.push(await step('pod add (this node)', [...relabelled, local], undefined));
  syncer.stop();
  return out;
}

async function growth(run: Runner) {
  const rows: { pods: number; policies: number; rules: number; ipsetMembers: number; naiveRules: number; naiveToOurs: number; ms: number; naiveMs: number; applyMs: number }[] = [];
  for (const namespaces of [5, 10, 20, 40]) {
    const opts: SyntheticOptions = { namespaces, podsPerNamespace: 50, policiesPerNamespace: 10, nodes: 1 };
    const model = modelFromObjects(syntheticObjects(opts));
    const [ours, oursMs] = time(() => {
      const c = compile(model, { node: NODE });
      renderRestore(c, [4]);
      return c;
    });
    const [naive, naiveMs] = time(() => renderNaive(model, NODE));
    // Apply time against rule count: each size from an empty namespace.
    await applyPolicy(null, { run, families: [4] });
    const [, applyMs] = await timeAsync(() => applyPolicy(ours, { run, families: [4] }));
    rows.push({ pods: model.pods.length, policies: model.policies.length, rules: ruleCount(ours), ipsetMembers: memberCount(ours), naiveRules: naive.length, naiveToOurs: round(naive.length / ruleCount(ours)), ms: round(oursMs), naiveMs: round(naiveMs), applyMs: round(applyMs) });
  }
  // Growth exponent per doubling: ~1 is linear, ~2 quadratic.
  const exponents = rows.slice(1).map((r, i) => {
    const p = rows[i];
    return p === undefined ? undefined : { pods: `${p.pods}->${r.pods}`, ours: round(Math.log2(r.rules / p.rules)), naive: round(Math.log2(r.naiveRules / p.naiveRules)) };
  });
  return { sizes: rows, exponents };
}

function cleanup(): void {
  try {
    execFileSync('ip', ['netns', 'del', NETNS], { stdio: 'ignore' });
  } catch {
    // not there
  }
}

async function main(): Promise<void> {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => (cleanup(), process.exit(130)));
  execFileSync('ip', ['netns', 'add', NETNS]);
  try {
    const run: Runner = (cmd) => execRunner({ ...cmd, netns: NETNS });
    // A node of a 50-node cluster (100 of the 5,000 pods local), then the worst case: one node
    // holding all 5,000 pods. Each starts from an empty namespace.
    const node50 = await fullSync(run, 50);
    const lat50 = await latency(run, node50.objects, node50.opts);
    await applyPolicy(null, { run, families: [4] });
    const single = await fullSync(run, 1);
    const lat1 = await latency(run, single.objects, single.opts);
    const g = await growth(run);
    const out = {
      bench: 'policy',
      node: process.version,
      fullSync: { node50: node50.result, allPodsLocal: single.result },
      latency: { node50: lat50, allPodsLocal: lat1 },
      growth: g,
      goals: {
        ipsetOnlyUnder100ms: { node50: lat50.filter((l) => l.ipsetOnly).every((l) => l.ms < 100), allPodsLocal: lat1.filter((l) => l.ipsetOnly).every((l) => l.ms < 100) },
        fullSyncUnder1s: { node50: node50.result.syncPathMs < 1000, allPodsLocal: single.result.syncPathMs < 1000 },
      },
    };
    console.log(JSON.stringify(out, null, 2));
  } finally {
    cleanup();
  }
}

await main();

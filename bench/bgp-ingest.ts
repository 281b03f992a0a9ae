// BGP ingest bench: prints one JSON object.
//   A GoBGP sender holding COUNT IPv4 /32s (one attribute set, loaded before any receiver connects)
//   feeds a fresh receiver; we time Established -> all COUNT in the receiver's Loc-RIB (and, for
//   Meridian and BIRD, in the kernel FIB), for Meridian (`meridian bgp run`, kernel programming on),
//   BIRD 2 (kernel protocol) and GoBGP (no FIB), RUNS runs each, interleaved, medians reported;
//   receiver RSS with the table loaded; Meridian's CPU over IDLE_S with one established idle session.
// usage: npm run bench:bgp   (needs root and bird/gobgpd: it makes two network namespaces joined by
//        a veth and deletes them afterwards; nothing in the root namespace is touched)
// env: BENCH_COUNT (100000), BENCH_RUNS (3), BENCH_IDLE_S (30), BENCH_PROFILE (a dir: CPU profiles)
//
// Resolution is one poll (~50 ms of the receiver's own status API / CLI), as in
// /work/shared/research/bgp.md's anchors (BIRD ~0.7-1.2 s, GoBGP ~1.8 s for 100k).

import { readFileSync, writeFileSync } from 'node:fs';
import { startBird, startGobgp, prefixRange, type BgpDaemon } from '../test/harness/bgp-daemons/index.js';
import { getStatus, startMeridian, type MeridianNode } from '../test/harness/meridian-node.js';
import { withWorld, type World } from '../test/harness/netns.js';
import { lan, type LanHost } from '../test/interop/lan.js';

const COUNT = Number(process.env['BENCH_COUNT'] ?? 100_000);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const IDLE_S = Number(process.env['BENCH_IDLE_S'] ?? 30);
const POLL_MS = 50;
const TIMEOUT_MS = 120_000;
const SENDER_AS = 65000;
const RECEIVER_AS = 64512;
const CLK_TCK = 100;
/** BENCH_PROFILE=DIR: Meridian runs with --cpu-prof into DIR and stops with SIGTERM so it is written. */
const PROFILE = process.env['BENCH_PROFILE'];

type Kind = 'meridian' | 'bird' | 'gobgp';

interface Run {
  readonly ribMs: number;
  readonly fibMs?: number;
  readonly rssMB: number;
}

interface Probe {
  readonly pid: number;
  established(): Promise<boolean>;
  ribCount(): Promise<number>;
  fibCount?: () => Promise<number>;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

function rssMB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Math.round(Number(m?.[1] ?? 0) / 102.4) / 10;
}

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid: number): number {
  // Fields after the ")" of the command name: state is field 3, utime 14, stime 15.
  const rest = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(rest[11]) + Number(rest[12])) / CLK_TCK;
}

async function kernelCount(w: World, r: LanHost, proto: string): Promise<number> {
  const out = (await w.exec(r.ns, ['ip', '-4', 'route', 'show', 'table', 'main', 'proto', proto])).stdout;
  let n = 0;
  for (const line of out.split('\n')) if (line !== '' && !line.startsWith('blackhole')) n++;
  return n;
}

async function startReceiver(w: World, kind: Kind, r: LanHost, s: LanHost): Promise<Probe> {
  if (kind === 'meridian') {
    const node: MeridianNode = startMeridian(w, {
      ns: r.ns,
      name: 'receiver',
      ips: [r.v4],
      podCIDRs: ['10.244.1.0/24'],
      ...(PROFILE !== undefined ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${PROFILE}`] } : {}),
      config: { logLevel: 'info', clusterCIDRs: ['10.128.0.0/9'], bgp: { asn: RECEIVER_AS, nodeMesh: false, peers: [{ address: s.v4, asn: SENDER_AS }] } },
    });
    const peer = async () => (await getStatus(node.socket).catch(() => undefined))?.peers[0];
    return {
      pid: node.proc.pid,
      established: async () => (await peer())?.state === 'Established',
      ribCount: async () => (await peer())?.prefixesIn ?? 0,
      fibCount: () => kernelCount(w, r, '180'),
      async stop() {
        node.proc.kill(PROFILE !== undefined ? 'SIGTERM' : 'SIGKILL');
        await node.proc.exited;
        if (PROFILE !== undefined) writeFileSync(`${PROFILE}/meridian-${node.proc.pid}.log`, node.proc.output().stderr);
        // A stopped Meridian leaves its routes (graceful restart); the next run starts clean.
        await w.exec(r.ns, ['ip', '-4', 'route', 'flush', 'proto', '180']);
      },
    };
  }
  const d: BgpDaemon =
    kind === 'bird'
      ? await startBird(w, { ns: r.ns, routerId: r.v4, asn: RECEIVER_AS, kernel: true, neighbors: [{ address: s.v4, asn: SENDER_AS }] })
      : await startGobgp(w, { ns: r.ns, routerId: r.v4, asn: RECEIVER_AS, neighbors: [{ address: s.v4, asn: SENDER_AS }] });
  const pid = kind === 'bird' ? Number(readFileSync(`${d.dir}/bird.pid`, 'utf8').trim()) : await gobgpPid(w, r);
  if (kind === 'bird') {
    const proto = async (name: string) => d.cli(['show', 'protocols', 'all', name]);
    return {
      pid,
      established: async () => /BGP state:\s+Established/.test(await proto('peer0')),
      ribCount: async () => Number(/Routes:\s+(\d+) imported/.exec(await proto('peer0'))?.[1] ?? 0),
      fibCount: async () => Number(/(\d+) exported/.exec(await proto('kernel4'))?.[1] ?? 0),
      async stop() {
        await d.stop();
        await w.exec(r.ns, ['ip', '-4', 'route', 'flush', 'proto', 'bird']);
      },
    };
  }
  const session = async () => (await d.sessions())[0];
  return {
    pid,
    established: async () => (await session())?.established === true,
    ribCount: async () => (await session())?.prefixesReceived ?? 0,
    stop: () => d.stop(),
  };
}

/** gobgpd runs as `ip netns exec NS gobgpd ...`, which execs: the only gobgpd in the receiver netns. */
async function gobgpPid(w: World, r: LanHost): Promise<number> {
  const pids = (await w.exec(r.ns, ['ip', 'netns', 'pids', r.ns.name])).stdout.split('\n').filter((x) => x !== '');
  for (const p of pids) if (readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'gobgpd') return Number(p);
  throw new Error('no gobgpd in the receiver namespace');
}

async function until(what: string, f: () => Promise<boolean>): Promise<number> {
  const deadline = Date.now() + TIMEOUT_MS;
  for (;;) {
    if (await f().catch(() => false)) return performance.now();
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(POLL_MS);
  }
}

async function oneRun(w: World, kind: Kind, r: LanHost, s: LanHost, idle: boolean): Promise<Run & { idleCpuPercent?: number }> {
  const p = await startReceiver(w, kind, r, s);
  try {
    const t0 = await until(`${kind} to be Established`, p.established);
    const tRib = await until(`${kind} to hold ${COUNT} routes`, async () => (await p.ribCount()) >= COUNT);
    const tFib = p.fibCount === undefined ? undefined : await until(`${kind}'s FIB to hold ${COUNT} routes`, async () => (await (p.fibCount as () => Promise<number>)()) >= COUNT);
    const run: Run & { idleCpuPercent?: number } = { ribMs: Math.round(tRib - t0), ...(tFib !== undefined ? { fibMs: Math.round(tFib - t0) } : {}), rssMB: rssMB(p.pid) };
    if (idle) {
      await sleep(2000); // let the last reconcile and GC settle
      const c0 = cpuSeconds(p.pid);
      await sleep(IDLE_S * 1000);
      run.idleCpuPercent = Math.round(((cpuSeconds(p.pid) - c0) / IDLE_S) * 10000) / 100;
    }
    return run;
  } finally {
    await p.stop();
  }
}

async function main(): Promise<void> {
  const result = await withWorld(async (w) => {
    const [s, r] = (await lan(w, ['sender', 'receiver'])) as [LanHost, LanHost];
    const sender = await startGobgp(w, { ns: s.ns, routerId: s.v4, asn: SENDER_AS, neighbors: [{ address: r.v4, asn: RECEIVER_AS, passive: true }] });
    const t = performance.now();
    await sender.announce(prefixRange('10.128.0.0', COUNT, 32));
    const loadMs = Math.round(performance.now() - t);
    const kinds: Kind[] = ['meridian', 'bird', 'gobgp'];
    const runs: Record<Kind, Run[]> = { meridian: [], bird: [], gobgp: [] };
    let idleCpuPercent: number | undefined;
    for (let i = 0; i < RUNS; i++) {
      for (const k of kinds) {
        const last = k === 'meridian' && i === RUNS - 1 && IDLE_S > 0;
        const run = await oneRun(w, k, r, s, last);
        if (run.idleCpuPercent !== undefined) idleCpuPercent = run.idleCpuPercent;
        runs[k].push(run);
        process.stderr.write(`run ${i + 1} ${k}: ${JSON.stringify(run)}\n`);
      }
    }
    const summary = Object.fromEntries(
      kinds.map((k) => {
        const fib = runs[k].map((x) => x.fibMs).filter((x): x is number => x !== undefined);
        return [
          k,
          {
            ribMs: median(runs[k].map((x) => x.ribMs)),
            ...(fib.length > 0 ? { fibMs: median(fib) } : {}),
            rssMBPer100k: Math.round((median(runs[k].map((x) => x.rssMB)) * 100_000 * 10) / COUNT) / 10,
            runs: runs[k],
          },
        ];
      }),
    ) as Record<Kind, { ribMs: number; fibMs?: number; rssMBPer100k: number; runs: Run[] }>;
    const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
    return {
      bench: 'bgp-ingest',
      sender: 'gobgp',
      prefixes: COUNT,
      runs: RUNS,
      senderLoadMs: loadMs,
      receivers: summary,
      ratios: {
        ribMeridianOverBird: ratio(summary.meridian.ribMs, summary.bird.ribMs),
        ribMeridianOverGobgp: ratio(summary.meridian.ribMs, summary.gobgp.ribMs),
        fibMeridianOverBird: ratio(summary.meridian.fibMs ?? NaN, summary.bird.fibMs ?? NaN),
      },
      meridianIdleCpu: { seconds: IDLE_S, percent: idleCpuPercent, note: `one established idle session, ${COUNT} routes loaded` },
    };
  });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

await main();

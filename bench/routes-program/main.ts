// Route programming bench: prints one JSON object, Meridian and BIRD side by side, same run.
//   program    N learned routes (10,000 and 100,000 /24s) from a GoBGP feeder to the receiver's
//              kernel: the feeder holds the whole table (MRT-injected) before the receiver starts;
//              timed from the session reaching Established (polled every 20 ms) and from the
//              receiver's start until `ip route show proto P` counts N in its namespace (the session
//              counts as Established when its TCP connection is, read with `ss` every 10 ms).
//   incremental with the 100,000-route table loaded, the feeder announces one new prefix (20 times):
//              time from starting `gobgp global rib add` until `ip monitor route` in the receiver's
//              namespace reports it. The CLI's own time (gobgpCliMedianMs, ~15-20 ms of exec and
//              gRPC) is included for both receivers and reported, so UPDATE-to-kernel is about the
//              difference.
// Receivers: `meridian bgp run` (protocol 180) and BIRD 2's kernel protocol (protocol bird).
// Each receiver gets a fresh world: namespaces feeder + receiver on one bridge, nothing else.
// usage: npm run bench:routes [-- --sizes 10000,100000 --repeats 20]   (root; makes namespaces only)

import { performance } from 'node:perf_hooks';
import { startBird, startGobgp, prefixRange, type BgpDaemon } from '../../test/harness/bgp-daemons/index.js';
import { startMeridian } from '../../test/harness/meridian-node.js';
import { withWorld, type Netns, type World } from '../../test/harness/netns.js';
import { waitFor } from '../../test/harness/wait.js';
import { lan, type LanHost } from '../../test/interop/lan.js';

type Receiver = 'meridian' | 'bird';
const PROTO: Record<Receiver, string> = { meridian: '180', bird: 'bird' };

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? dflt) : dflt;
}
const SIZES = arg('sizes', '10000,100000').split(',').map(Number);
const REPEATS = Number(arg('repeats', '20'));
const round = (ms: number): number => Math.round(ms * 10) / 10;
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};

async function count(w: World, ns: Netns, proto: string): Promise<number> {
  const r = await w.exec(ns, ['sh', '-c', `ip -4 route show proto ${proto} | wc -l`]);
  return Number(r.stdout.trim());
}

/**
 * The BGP session's TCP connection is up (the OPEN/KEEPALIVE exchange follows within a
 * millisecond or two). Read with `ss` in the receiver's namespace, the same way for both
 * receivers; asking Meridian's status socket would compete with the table load it measures.
 */
async function tcpEstablished(w: World, ns: Netns): Promise<boolean> {
  const r = await w.exec(ns, ['ss', '-Htn', 'state', 'established', '( dport = :179 or sport = :179 )']);
  return r.stdout.trim() !== '';
}

async function startReceiver(w: World, kind: Receiver, r: LanHost, feeder: LanHost): Promise<{ logs(): string }> {
  if (kind === 'bird') {
    await startBird(w, { ns: r.ns, routerId: r.v4, asn: 64512, kernel: true, neighbors: [{ address: feeder.v4, asn: 65001 }] });
    return { logs: () => '' };
  }
  const node = startMeridian(w, {
    ns: r.ns,
    name: 'bench',
    ips: [r.v4],
    podCIDRs: ['10.244.1.0/24'],
    env: { MERIDIAN_LOG_LEVEL: process.env['BENCH_LOG_LEVEL'] ?? 'warn' },
    // BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the agent.
    nodeArgs: (process.env['BENCH_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== ''),
    config: { clusterCIDRs: ['20.0.0.0/7', '30.0.0.0/8'], natOutgoing: { enabled: false }, bgp: { asn: 64512, nodeMesh: false, peers: [{ address: feeder.v4, asn: 65001 }] } },
  });
  return { logs: () => node.logs() };
}

async function feederWith(w: World, f: LanHost, r: LanHost, n: number): Promise<BgpDaemon> {
  // Passive: the receiver dials at once instead of waiting for GoBGP's first connect.
  const feeder = await startGobgp(w, { ns: f.ns, routerId: f.v4, asn: 65001, neighbors: [{ address: r.v4, asn: 64512, passive: true }] });
  await feeder.announce(prefixRange('20.0.0.0', n, 24));
  return feeder;
}

interface ProgramResult {
  readonly fromEstablishedMs: number;
  readonly fromStartMs: number;
}

async function program(kind: Receiver, n: number, incremental: boolean): Promise<{ program: ProgramResult; incremental?: { medianMs: number; p90Ms: number; samples: number[] } }> {
  return withWorld(async (w) => {
    const [f, r] = (await lan(w, ['feeder', 'recv'])) as [LanHost, LanHost];
    const feeder = await feederWith(w, f, r, n);
    const t0 = performance.now();
    const rec = await startReceiver(w, kind, r, f);
    let tEst = 0;
    await waitFor(async () => (await tcpEstablished(w, r.ns)) && (tEst = performance.now()), { timeoutMs: 30_000, intervalMs: 10, what: `${kind} to establish` });
    await waitFor(async () => (await count(w, r.ns, PROTO[kind])) >= n, { timeoutMs: 300_000, intervalMs: n > 20_000 ? 200 : 50, what: `${n} routes in ${kind}'s FIB` }).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}\n${rec.logs()}`);
    });
    const tDone = performance.now();
    const result = { program: { fromEstablishedMs: round(tDone - tEst), fromStartMs: round(tDone - t0) } };
    if (!incremental) return result;
    const mon = w.spawn(r.ns, ['ip', '-4', 'monitor', 'route']);
    await new Promise((res) => setTimeout(res, 300));
    const samples: number[] = [];
    const cli: number[] = [];
    for (let i = 0; i < REPEATS; i++) {
      const prefix = `30.0.${i}.0/24`;
      const t = performance.now();
      await feeder.cli(['global', 'rib', '-a', 'ipv4', 'add', prefix]);
      cli.push(performance.now() - t);
      await waitFor(() => mon.output().stdout.includes(`30.0.${i}.0/24 `), { timeoutMs: 10_000, intervalMs: 1, what: `${prefix} in ${kind}'s FIB` });
      samples.push(round(performance.now() - t));
      await new Promise((res) => setTimeout(res, 100));
    }
    if (process.env['BENCH_LOG_LEVEL'] !== undefined) process.stderr.write(rec.logs() + '\n');
    const sorted = [...samples].sort((a, b) => a - b);
    const afterCli = samples.map((x, i) => Math.max(0, x - (cli[i] ?? 0)));
    return {
      ...result,
      incremental: { medianMs: round(median(samples)), p90Ms: sorted[Math.floor(sorted.length * 0.9)] ?? 0, gobgpCliMedianMs: round(median(cli)), afterCliMedianMs: round(median(afterCli)), samples },
    };
  });
}

const out: Record<string, unknown> = { sizes: SIZES, repeats: REPEATS, program: {} as Record<string, unknown> };
const prog = out['program'] as Record<string, Record<Receiver, ProgramResult>>;
const incr: Record<string, unknown> = {};
for (const n of SIZES) {
  const last = n === Math.max(...SIZES);
  const row = {} as Record<Receiver, ProgramResult>;
  for (const kind of ['meridian', 'bird'] as const) {
    const r = await program(kind, n, last);
    row[kind] = r.program;
    if (r.incremental !== undefined) incr[kind] = r.incremental;
    process.stderr.write(`${kind} ${n}: ${JSON.stringify(r)}\n`);
  }
  prog[String(n)] = row;
}
const ratios: Record<string, number> = {};
for (const [n, row] of Object.entries(prog)) {
  ratios[`program${n}FromEstablished`] = round(row.meridian.fromEstablishedMs / row.bird.fromEstablishedMs) / 1;
  ratios[`program${n}FromStart`] = round(row.meridian.fromStartMs / row.bird.fromStartMs) / 1;
}
const im = incr['meridian'] as { medianMs: number; afterCliMedianMs: number } | undefined;
const ib = incr['bird'] as { medianMs: number; afterCliMedianMs: number } | undefined;
if (im !== undefined && ib !== undefined) ratios['incrementalMedian'] = round(im.medianMs / ib.medianMs);
out['incremental'] = { afterRoutes: Math.max(...SIZES), ...incr };
out['ratios'] = ratios;
out['goals'] = {
  // UPDATE to kernel: the time after gobgpd took the path (the CLI returned).
  incrementalUnder50ms: im !== undefined ? im.afterCliMedianMs < 50 : null,
  program100kWithin2xOfBird: prog['100000'] !== undefined ? prog['100000'].meridian.fromEstablishedMs <= 2 * prog['100000'].bird.fromEstablishedMs : null,
};
process.stdout.write(JSON.stringify(out, null, 2) + '\n');

#!/usr/bin/env node
// meridian-cni vs the reference ptp + host-local (/usr/lib/cni), side by side in one run.
//
//   sudo node bench/cni-latency.mjs [--pods 50] [--repeats 1] [--json out.json]   (after npm run build)
//
// For each plugin and each concurrency (1 and 8): N fresh pod namespaces (not timed), ADD all,
// CHECK all (with each ADD's result as prevResult), DEL all. A time is fork -> exit of one
// plugin exec (`ip netns exec NODE <plugin>`, stdin from memory), which includes process start and,
// for ptp, its host-local exec. The floor (`ip netns exec NODE /bin/true`, same way) is printed
// too: subtract it from both sides to compare the plugins' own cost. Plugins get only PATH and
// CNI_* in their environment, as under a runtime (NODE_EXTRA_CA_CERTS alone adds ~130 ms to a
// Node start on the dev VM).
//
// Everything runs in namespaces this script creates (mrdb-<pid>-*) and removes on exit, also on
// Ctrl-C; nothing touches the root namespace. Prints JSON with p50/p95 per verb and concurrency
// for both, the ratios meridian/reference, and a breakdown of where a meridian-cni exec's time
// goes, each part a p50 over the same run:
// - floorMs: `ip netns exec NODE /bin/true` (fork, setns, exec, exit: paid by both plugins);
// - nodeStartMs: `node -e 0` the same way (a bare Node.js start);
// - versionMs: meridian-cni answering VERSION (Node start + loading the CJS bundle, no work);
// - per verb, from the plugin itself (MERIDIAN_CNI_TIMING=1, src/cni/self-timing.ts): bootMs
//   (process start to main), workMs (main to answer), execMs (of which kernel tools ran), execs.
// The bundle run is dist/meridian-cni.cjs (CommonJS; see scripts/build.mjs).

import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join, resolve } from 'node:path';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const PODS = Number(opt('pods', '50'));
const REPEATS = Number(opt('repeats', '1'));
const JSON_OUT = opt('json', undefined);
const CONCURRENCY = [1, 8];
const REF_DIR = '/usr/lib/cni';
const MERIDIAN = resolve(import.meta.dirname, '../dist/meridian-cni.cjs');
if (!existsSync(MERIDIAN)) {
  console.error(`${MERIDIAN} missing: run npm run build first`);
  process.exit(1);
}
const PATH_ENV = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

if (process.getuid?.() !== 0) {
  console.error('needs root (network namespaces)');
  process.exit(1);
}

const prefix = `mrdb-${process.pid}`;
const made = [];
const tmp = mkdtempSync(join(tmpdir(), 'mrdb-'));

function sh(argv, input) {
  return execFileSync(argv[0], argv.slice(1), { input, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], encoding: 'utf8' });
}
function netnsAdd(name) {
  made.push(name);
  sh(['ip', 'netns', 'add', name]);
  sh(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
}
function cleanup() {
  for (const name of made.reverse()) {
    try {
      for (const pid of sh(['ip', 'netns', 'pids', name]).split(/\s+/).filter(Boolean)) process.kill(Number(pid), 'SIGKILL');
    } catch {
      // gone
    }
    try {
      sh(['ip', 'netns', 'del', name]);
    } catch {
      // gone
    }
  }
  made.length = 0;
  rmSync(tmp, { recursive: true, force: true });
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

// The node: an uplink to an "up" namespace with a default route, forwarding on (the agent's job).
const NODE = `${prefix}-node`;
const UP = `${prefix}-up`;
netnsAdd(NODE);
netnsAdd(UP);
sh(['ip', '-n', NODE, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', UP]);
sh(['ip', '-n', NODE, '-batch', '-'], 'addr add 10.99.0.1/24 dev eth0\nlink set eth0 up\nroute add default via 10.99.0.254\n');
sh(['ip', '-n', UP, '-batch', '-'], 'addr add 10.99.0.254/24 dev eth0\nlink set eth0 up\n');
sh(['ip', 'netns', 'exec', NODE, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);

function exec(argv, env, stdin) {
  return new Promise((res) => {
    const t0 = performance.now();
    const child = spawn('ip', ['netns', 'exec', NODE, ...argv], { env: { PATH: PATH_ENV, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin);
    child.on('close', (code) => res({ code, out, err, ms: performance.now() - t0 }));
  });
}

const IMPLS = {
  'ptp+host-local': {
    argv: [join(REF_DIR, 'ptp')],
    conf: (dataDir) => ({
      cniVersion: '1.0.0',
      name: 'bench-ptp',
      type: 'ptp',
      ipMasq: false,
      mtu: 1500,
      ipam: { type: 'host-local', ranges: [[{ subnet: '10.245.0.0/22' }]], routes: [{ dst: '0.0.0.0/0' }], dataDir },
    }),
  },
  'meridian-cni': {
    argv: [process.execPath, MERIDIAN],
    // Self-timing on stderr (src/cni/self-timing.ts); costs one stderr write.
    env: { MERIDIAN_CNI_TIMING: '1' },
    conf: (dataDir) => ({ cniVersion: '1.0.0', name: 'bench-meridian', type: 'meridian-cni', mtu: 1500, ipam: { ranges: [[{ subnet: '10.244.0.0/22' }]], dataDir } }),
  },
};

async function pool(items, conc, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: conc }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i], i);
      }
    }),
  );
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const round = (x) => Math.round(x * 10) / 10;
const ratio = (a, b) => Math.round((a / b) * 100) / 100;

async function runImpl(name, impl, conc, rep, samples) {
  const dataDir = join(tmp, `${name}-${conc}-${rep}`);
  const conf = impl.conf(dataDir);
  const pods = [];
  for (let i = 0; i < PODS; i++) {
    const ns = `${prefix}-${name === 'meridian-cni' ? 'm' : 'r'}${conc}-${rep}-${i}`;
    netnsAdd(ns);
    pods.push({ ns, path: `/run/netns/${ns}`, id: createHash('sha256').update(ns).digest('hex') });
  }
  const env = (cmd, p) => ({
    CNI_COMMAND: cmd,
    CNI_CONTAINERID: p.id,
    CNI_NETNS: p.path,
    CNI_IFNAME: 'eth0',
    CNI_PATH: REF_DIR,
    CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=bench;K8S_POD_NAME=${p.ns}`,
  });
  const results = new Map();
  const failures = [];
  for (const cmd of ['ADD', 'CHECK', 'DEL']) {
    const t0 = performance.now();
    await pool(pods, conc, async (p) => {
      const stdin = JSON.stringify(cmd === 'ADD' ? conf : { ...conf, prevResult: results.get(p.id) });
      const r = await exec(impl.argv, { ...env(cmd, p), ...impl.env }, stdin);
      if (r.code !== 0) failures.push(`${cmd} ${p.ns}: ${r.out || r.err}`.slice(0, 300));
      else if (cmd === 'ADD') results.set(p.id, JSON.parse(r.out));
      const t = /meridian-cni timing (\{.*\})/.exec(r.err);
      samples.push({ impl: name, conc, cmd, ms: r.ms, ...(t !== null ? { self: JSON.parse(t[1]) } : {}) });
    });
    const wall = performance.now() - t0;
    samples.push({ impl: name, conc, cmd, wall, ok: PODS - failures.filter((f) => f.startsWith(cmd)).length });
    if (cmd === 'ADD' && pods.length >= 2) {
      // The wired pods must really talk: pod 0 -> pod 1.
      const ip = results.get(pods[1].id)?.ips?.[0]?.address?.split('/')[0];
      try {
        sh(['ip', 'netns', 'exec', pods[0].ns, 'ping', '-c', '1', '-W', '2', ip]);
      } catch {
        failures.push(`${name}: ping ${pods[0].ns} -> ${ip} failed`);
      }
    }
  }
  for (const p of pods) {
    sh(['ip', 'netns', 'del', p.ns]);
    made.splice(made.indexOf(p.ns), 1);
  }
  return failures;
}

async function floor(conc, argv = ['/bin/true'], env = {}) {
  const xs = [];
  await pool(Array.from({ length: PODS }), conc, async () => xs.push((await exec(argv, env, '')).ms));
  return round(pct(xs, 50));
}

const samples = [];
const failures = [];
const floors = {};
// What a Node.js plugin pays before any work: a bare Node start, and meridian-cni answering
// VERSION (start, load the bundle, exit).
const nodeStart = {};
const versionStart = {};
for (const conc of CONCURRENCY) {
  floors[`c${conc}`] = await floor(conc);
  nodeStart[`c${conc}`] = await floor(conc, [process.execPath, '-e', '0']);
  versionStart[`c${conc}`] = await floor(conc, IMPLS['meridian-cni'].argv, { CNI_COMMAND: 'VERSION' });
}
for (let rep = 0; rep < REPEATS; rep++) {
  for (const conc of CONCURRENCY) {
    for (const [name, impl] of Object.entries(IMPLS)) failures.push(...(await runImpl(name, impl, conc, rep, samples)));
  }
}

const rows = [];
for (const name of Object.keys(IMPLS)) {
  for (const conc of CONCURRENCY) {
    for (const cmd of ['ADD', 'CHECK', 'DEL']) {
      const xs = samples.filter((s) => s.impl === name && s.conc === conc && s.cmd === cmd && s.ms !== undefined).map((s) => s.ms);
      const walls = samples.filter((s) => s.impl === name && s.conc === conc && s.cmd === cmd && s.wall !== undefined);
      const ok = walls.reduce((n, s) => n + s.ok, 0);
      const wall = walls.reduce((n, s) => n + s.wall, 0);
      rows.push({ impl: name, conc, cmd, n: xs.length, p50: round(pct(xs, 50)), p95: round(pct(xs, 95)), max: round(pct(xs, 100)), podsPerSec: round((ok / wall) * 1000) });
    }
  }
}
const ratios = [];
for (const conc of CONCURRENCY) {
  for (const cmd of ['ADD', 'CHECK', 'DEL']) {
    const m = rows.find((r) => r.impl === 'meridian-cni' && r.conc === conc && r.cmd === cmd);
    const ref = rows.find((r) => r.impl === 'ptp+host-local' && r.conc === conc && r.cmd === cmd);
    const f = floors[`c${conc}`];
    ratios.push({
      conc,
      cmd,
      p50: ratio(m.p50, ref.p50),
      p95: ratio(m.p95, ref.p95),
      p50AboveFloor: ratio(m.p50 - f, ref.p50 - f),
    });
  }
}
// Where meridian-cni's time goes, per concurrency and verb (p50s of the self-reported parts).
const breakdown = {};
for (const conc of CONCURRENCY) {
  const c = { floorMs: floors[`c${conc}`], nodeStartMs: nodeStart[`c${conc}`], versionMs: versionStart[`c${conc}`] };
  for (const cmd of ['ADD', 'CHECK', 'DEL']) {
    const xs = samples.filter((s) => s.impl === 'meridian-cni' && s.conc === conc && s.cmd === cmd && s.self !== undefined);
    const part = (f) => round(pct(xs.map(f), 50));
    const total = part((s) => s.ms);
    const bootMs = part((s) => s.self.bootMs);
    const workMs = part((s) => s.self.workMs);
    const execMs = part((s) => s.self.execMs);
    c[cmd] = {
      totalMs: total,
      bootMs,
      workMs,
      execMs,
      jsMs: round(workMs - execMs),
      execs: part((s) => s.self.execs),
      // fork + setns + exec before Node runs, and exit after the answer: total - boot - work.
      outsideMs: round(total - bootMs - workMs),
    };
  }
  breakdown[`c${conc}`] = c;
}

const report = {
  host: { cpus: cpus().length, node: process.version, kernel: sh(['uname', '-r']).trim() },
  pods: PODS,
  repeats: REPEATS,
  floorMs: floors,
  nodeStartMs: nodeStart,
  meridianVersionMs: versionStart,
  results: rows,
  ratios,
  breakdown,
  failures,
};
const text = JSON.stringify(report, null, 2);
if (JSON_OUT !== undefined) writeFileSync(JSON_OUT, text + '\n');
console.log(text);
process.exitCode = failures.length > 0 ? 2 : 0;

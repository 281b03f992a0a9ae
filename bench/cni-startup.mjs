#!/usr/bin/env node
// Start-up cost of the binaries, side by side with node itself and the reference Go plugin.
//
// The CNI plugin is exec'd once per pod per verb, so its floor is Node's own start-up: this prints
// `meridian-cni` VERSION wall time next to `node -e 0` (and the reference ptp plugin's VERSION, when
// Debian's containernetworking-plugins is installed) as JSON with ratios. Every run uses a clean
// environment (PATH only), as container runtimes exec plugins: an inherited NODE_EXTRA_CA_CERTS
// alone adds ~130 ms to every Node start on this machine (research/cni.md 5.4).
//
//   node bench/cni-startup.mjs [--runs 40]        (after `npm run build`)

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1] ?? 0) || 40;
const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

function time(argv, extraEnv = {}) {
  const samples = [];
  for (let i = 0; i < runs + 3; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(argv[0], argv.slice(1), { env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
    if (i >= 3) samples.push(ms); // the first runs warm the page cache
  }
  samples.sort((a, b) => a - b);
  const q = (p) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))];
  const round = (x) => Math.round(x * 100) / 100;
  return { p50_ms: round(q(0.5)), p90_ms: round(q(0.9)), min_ms: round(samples[0]), runs };
}

for (const f of ['dist/meridian-cni.cjs', 'dist/meridian.js']) {
  if (!existsSync(f)) throw new Error(`${f} missing: run npm run build first`);
}

const node = process.execPath;
const result = {
  benchmark: 'startup',
  node_version: process.version,
  node_e0: time([node, '-e', '0']),
  meridian_cni_version: time([node, 'dist/meridian-cni.cjs'], { CNI_COMMAND: 'VERSION' }),
  meridian_help: time([node, 'dist/meridian.js', '--help']),
};
const refPtp = '/usr/lib/cni/ptp';
if (existsSync(refPtp)) result.ref_ptp_version = time([refPtp], { CNI_COMMAND: 'VERSION' });

result.ratios = {
  meridian_cni_version_over_node_e0: Math.round((result.meridian_cni_version.p50_ms / result.node_e0.p50_ms) * 100) / 100,
  ...(result.ref_ptp_version
    ? { meridian_cni_version_over_ref_ptp_version: Math.round((result.meridian_cni_version.p50_ms / result.ref_ptp_version.p50_ms) * 100) / 100 }
    : {}),
};
console.log(JSON.stringify(result, null, 2));

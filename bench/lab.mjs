#!/usr/bin/env node
// `meridian lab` against its goals on this machine: the default 3-node lab up in under 30 s, the
// full default matrix (72 pod pairs x 2 ports x TCP/UDP = 288 probes) in under 5 s. Runs the built
// CLI as a user does, in a state directory and namespace prefix of its own, N rounds (default 3;
// BENCH_ROUNDS), and removes the lab after each. Matrix timings: all allowed (each probe answers)
// and under a policy denying most cells (each denied probe waits out its 400 ms timeout).
// Prints JSON. Run as root after `npm run build`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const CLI = resolve(import.meta.dirname, '../dist/meridian.js');
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const topology = process.env.BENCH_TOPOLOGY ?? 'mesh';
const DENY = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: x}
spec: {podSelector: {}, policyTypes: [Ingress]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: y}
spec: {podSelector: {}, policyTypes: [Ingress]}
`;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function timed(args) {
  const t = process.hrtime.bigint();
  execFileSync(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  return Number(process.hrtime.bigint() - t) / 1e6;
}

const up = [];
const matrixOpen = [];
const matrixDenied = [];
const apply = [];
for (let i = 0; i < rounds; i++) {
  const dir = mkdtempSync(join(tmpdir(), 'mrd-bench-lab-'));
  const lab = ['--dir', dir];
  try {
    up.push(timed(['lab', 'up', ...lab, '--name', `b${process.pid % 10000}r${i}`, '--topology', topology]));
    matrixOpen.push(timed(['lab', 'matrix', ...lab]));
    writeFileSync(join(dir, 'deny.yaml'), DENY);
    apply.push(timed(['lab', 'apply', '-f', join(dir, 'deny.yaml'), ...lab]));
    matrixDenied.push(timed(['lab', 'matrix', ...lab]));
  } finally {
    execFileSync(process.execPath, [CLI, 'lab', 'down', ...lab], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }
}
const r = (xs) => ({ p50: Math.round(median(xs)), runs: xs.map(Math.round) });
console.log(
  JSON.stringify(
    {
      bench: 'lab',
      topology,
      rounds,
      upMs: { ...r(up), goal: 30000, ratioToGoal: +(median(up) / 30000).toFixed(3) },
      matrixAllAllowedMs: { ...r(matrixOpen), probes: 288, goal: 5000, ratioToGoal: +(median(matrixOpen) / 5000).toFixed(3) },
      matrixMostlyDeniedMs: { ...r(matrixDenied), probes: 288, goal: 5000, ratioToGoal: +(median(matrixDenied) / 5000).toFixed(3) },
      applyUntilEveryAgentAppliedMs: r(apply),
      note: 'CLI wall time including Node start (~0.4 s per command)',
    },
    null,
    2,
  ),
);

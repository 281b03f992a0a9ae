// `meridian lab`: a whole routed cluster on this machine, in network namespaces (src/lab/).
// Progress goes to stderr, results to stdout. Exit 0 on success, 1 on a failure at run time, 2 on
// bad arguments or manifests that cannot be used (the rest is applied all the same).

import { mkdirSync } from 'node:fs';
import type { Command } from 'commander';
import { execRunner } from '../net/exec.js';
import { LabError, labApply, labDelete, labDown, labNodeAdd, labNodeRemove, labUp, loadState, withLabLock, type ApplyResult } from '../lab/lab.js';
import { filesBackend } from '../lab/backend.js';
import type { LabEnv } from '../lab/nodes.js';
import { readState } from '../lab/state.js';
import { readManifestPath, type Doc } from '../lab/objects.js';
import { labMatrix, labPrediction, labStatus, matrixDiff, renderLabMatrix, renderLabStatus, type ProbeOptions } from '../lab/observe.js';
import type { RouterChoice, Topology } from '../lab/plan.js';
import { PolicyQueryError } from '../policy/explain.js';
import { list, portNumber, protocol } from './policy-command.js';

export const DEFAULT_LAB_DIR = '/run/meridian-lab';

function env(dir: string | undefined): LabEnv {
  if (process.getuid?.() !== 0) throw new LabError('the lab creates network namespaces: run it as root');
  return {
    dir: dir ?? process.env['MERIDIAN_LAB_DIR'] ?? DEFAULT_LAB_DIR,
    run: execRunner,
    progress: (line) => process.stderr.write(`${line}\n`),
  };
}

const dirOption = (c: Command): Command => c.option('--dir <path>', `lab state directory (default: $MERIDIAN_LAB_DIR or ${DEFAULT_LAB_DIR})`);

/** Manifests from -f paths; unreadable YAML is bad input (exit 2), reported before anything runs. */
function manifests(paths: readonly string[]): Doc[] {
  if (paths.length === 0) throw new PolicyQueryError('-f PATH is required (a file or a directory of manifests)');
  const docs: Doc[] = [];
  for (const p of paths) {
    let r;
    try {
      r = readManifestPath(p);
    } catch (e) {
      throw new PolicyQueryError(`${p}: ${(e as Error).message}`);
    }
    if (r.problems.length > 0) throw new PolicyQueryError(r.problems.join('\n'));
    docs.push(...r.docs);
  }
  return docs;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

/** A command that changes the lab, under its lock; no lab, no lock file made. */
function locked<T>(e: LabEnv, fn: () => Promise<T>): Promise<T> {
  loadState(e.dir);
  return withLabLock(e.dir, fn);
}

function report(r: ApplyResult, verb: string): void {
  for (const a of r.applied) process.stdout.write(`${a} ${verb}\n`);
  for (const p of r.problems) process.stderr.write(`skipped: ${p}\n`);
  for (const f of r.failures) process.stderr.write(`failed: ${f}\n`);
  process.stderr.write(`every agent applied it (${r.ms} ms)\n`);
  // A failure at run time outranks manifests that could not be used.
  if (r.failures.length > 0) process.exitCode = 1;
  else if (r.problems.length > 0) process.exitCode = 2;
}

function probeOptions(o: { ports: string; protocols: string; family: string; timeout?: string }): ProbeOptions {
  const ports = list(o.ports).map(portNumber);
  const protocols = list(o.protocols).map(protocol);
  if (ports.length === 0 || protocols.length === 0) throw new PolicyQueryError('--ports and --protocols need at least one value');
  if (o.family !== '4' && o.family !== '6') throw new PolicyQueryError('--family: 4 or 6');
  if (o.timeout !== undefined && (!/^\d+$/.test(o.timeout) || Number(o.timeout) < 10 || Number(o.timeout) > 60_000)) throw new PolicyQueryError(`--timeout ${o.timeout}: milliseconds, 10-60000`);
  return { ports, protocols, family: o.family === '6' ? 6 : 4, ...(o.timeout !== undefined ? { timeoutMs: Number(o.timeout) } : {}) };
}

export function registerLabCommand(program: Command): void {
  const lab = program.command('lab').description('a multi-node Meridian cluster on this machine, in network namespaces');

  dirOption(lab.command('up'))
    .description('create the lab: node namespaces running `meridian agent`, routers, pods wired by meridian-cni')
    .option('--nodes <n>', 'number of nodes', '3')
    .option('--topology <t>', 'mesh (one L2 segment, iBGP full mesh), tor (eBGP to a top-of-rack router), rr (route reflector)', 'mesh')
    .option('--router <r>', 'bird, frr or gobgp for tor/rr; meridian for rr makes node-1 the reflector', 'bird')
    .option('--ipv6', 'dual-stack: IPv6 node addresses, podCIDRs and pod addresses too')
    .option('--objects <dir>', 'apply these manifests instead of the default x/y/z x a/b/c workload')
    .option('--apiserver', 'run a real kube-apiserver + etcd; agents watch it, applies go through it')
    .option('--name <prefix>', 'prefix of the namespace names', 'mlab')
    .action(async (o: { nodes: string; topology: string; router: string; ipv6?: boolean; objects?: string; apiserver?: boolean; name: string; dir?: string }) => {
      if (!['mesh', 'tor', 'rr'].includes(o.topology)) throw new PolicyQueryError(`--topology ${o.topology}: mesh, tor or rr`);
      if (!['bird', 'frr', 'gobgp', 'meridian'].includes(o.router)) throw new PolicyQueryError(`--router ${o.router}: bird, frr, gobgp or meridian`);
      if (!/^\d+$/.test(o.nodes)) throw new PolicyQueryError(`--nodes ${o.nodes}: a number`);
      if (!/^[a-z][a-z0-9]{0,11}$/.test(o.name)) throw new PolicyQueryError(`--name ${o.name}: 1-12 lowercase letters and digits, starting with a letter`);
      const e = env(o.dir);
      const objects = o.objects !== undefined ? manifests([o.objects]) : undefined;
      // Checked here, not only in labUp: a failed up removes what it made, never an existing lab.
      if (readState(e.dir) !== undefined) throw new LabError(`a lab already exists in ${e.dir}: \`meridian lab down\` first`);
      mkdirSync(e.dir, { recursive: true });
      const problems = await withLabLock(e.dir, async () => {
        try {
          return (
            await labUp(e, {
              name: o.name,
              nodes: Number(o.nodes),
              topology: o.topology as Topology,
              router: o.router as RouterChoice,
              ipv6: o.ipv6 === true,
              apiserver: o.apiserver === true,
              ...(objects !== undefined ? { objects } : {}),
            })
          ).problems;
        } catch (err) {
          // Only what this up made: it refused to start over an existing lab or a foreign dir.
          if (readState(e.dir) !== undefined) {
            process.stderr.write(`lab up failed; removing what it made\n`);
            await labDown(e).catch(() => undefined);
          }
          throw err;
        }
      });
      process.stdout.write(renderLabStatus(await labStatus(e, loadState(e.dir))));
      // Manifests of --objects that could not be used were reported; the lab runs without them.
      if (problems.length > 0) process.exitCode = 2;
      process.stderr.write('\nnext: `meridian lab matrix`, `meridian lab apply -f POLICY.yaml`, `meridian lab status`, `meridian lab down`\n');
    });

  dirOption(lab.command('apply'))
    .description('create or update Namespaces, Pods, NetworkPolicies, BGPPeers, BGPConfiguration; returns once every agent applied them')
    .option('-f, --filename <path>', 'manifest file or directory (repeatable)', collect, [])
    .action(async (o: { filename: string[]; dir?: string }) => {
      const e = env(o.dir);
      const docs = manifests(o.filename);
      report(await locked(e, () => labApply(e, docs)), 'applied');
    });

  dirOption(lab.command('delete'))
    .description('delete what the manifests name (a Namespace takes its pods and policies with it)')
    .option('-f, --filename <path>', 'manifest file or directory (repeatable)', collect, [])
    .action(async (o: { filename: string[]; dir?: string }) => {
      const e = env(o.dir);
      const docs = manifests(o.filename);
      report(await locked(e, () => labDelete(e, docs)), 'deleted');
    });

  dirOption(lab.command('status'))
    .description('nodes (agent readiness, BGP sessions, routes), the router, the pods with their node and IPs')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean; dir?: string }) => {
      const e = env(o.dir);
      const d = await labStatus(e, loadState(e.dir));
      process.stdout.write(o.json === true ? JSON.stringify(d, null, 2) + '\n' : renderLabStatus(d));
    });

  dirOption(lab.command('matrix'))
    .description('probe every pod pair with real TCP connections and UDP exchanges, in parallel')
    .option('--json', 'print the matrix JSON format (the shape `policy matrix --json` prints)')
    .option('--ports <list>', 'ports, comma-separated', '80,81')
    .option('--protocols <list>', 'TCP and/or UDP, comma-separated', 'TCP,UDP')
    .option('--family <n>', 'probe IPv4 (4) or IPv6 (6) addresses', '4')
    .option('--timeout <ms>', 'how long a denied probe waits', '400')
    .option('--predict', "mark (\"!\") and count cells that differ from `policy matrix`'s prediction; exit 1 if any do")
    .action(async (o: { json?: boolean; ports: string; protocols: string; family: string; timeout: string; predict?: boolean; dir?: string }) => {
      const po = probeOptions(o);
      const e = env(o.dir);
      const s = loadState(e.dir);
      const observed = await labMatrix(e, s, po);
      const predicted = o.predict === true ? await labPrediction(s.apiserver !== undefined ? await (await import('../lab/api-backend.js')).apiBackend(e, s) : filesBackend(e.dir), po) : undefined;
      if (o.json === true) {
        process.stdout.write(JSON.stringify({ pods: observed.pods, results: observed.results }, null, 2) + '\n');
      } else {
        const color = process.stdout.isTTY && process.env['NO_COLOR'] === undefined;
        process.stdout.write(renderLabMatrix(observed, { color, ...(predicted !== undefined ? { predicted } : {}) }));
        process.stderr.write(`${observed.results.length} probes in ${observed.ms} ms\n`);
      }
      if (predicted !== undefined && matrixDiff(observed, predicted).length > 0) process.exitCode = 1;
    });

  const node = lab.command('node').description('add or remove a node while the lab runs');
  dirOption(node.command('add'))
    .description('add a node (namespace, agent; the router learns it); returns once the cluster converged')
    .argument('[name]', 'node name (default: node-N)')
    .action(async (name: string | undefined, o: { dir?: string }) => {
      const e = env(o.dir);
      const n = await locked(e, () => labNodeAdd(e, name));
      process.stdout.write(`node ${n.plan.name} added: ${n.plan.ip4}, pods ${n.plan.podCidrs.join(' ')}\n`);
    });
  dirOption(node.command('remove'))
    .description('remove a node: its pods are deleted, its agent stopped, its namespace removed')
    .argument('<name>')
    .action(async (name: string, o: { dir?: string }) => {
      const e = env(o.dir);
      const gone = await locked(e, () => labNodeRemove(e, name));
      process.stdout.write(`node ${name} removed${gone.length > 0 ? ` with its pods ${gone.join(', ')}` : ''}\n`);
    });

  dirOption(lab.command('down'))
    .description('remove everything the lab made (also after a crash; a second run finishes the job)')
    .action(async (o: { dir?: string }) => {
      const e = env(o.dir);
      if (readState(e.dir) === undefined) {
        process.stderr.write(`no lab in ${e.dir}\n`);
        return;
      }
      await locked(e, () => labDown(e));
    });
}

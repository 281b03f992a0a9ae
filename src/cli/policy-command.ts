// `meridian policy compile|explain|matrix`: the policy engine offline, on a directory of
// manifests. All three compile the same IR the agent applies; explain and matrix trace packets
// through it. Bad manifests are reported on stderr and skipped (a
// NetworkPolicy is used fail-closed, as the agent does); bad arguments exit 2.

import type { Command } from 'commander';
import { readManifestDir } from '../k8s/manifests-dir.js';
import type { Protocol } from '../k8s/objects.js';
import { compile, familiesInUse } from '../policy/compile.js';
import { Explainer, PolicyQueryError, type Explanation, type SideResult } from '../policy/explain.js';
import { predictMatrix, renderMatrixTable } from '../policy/matrix.js';
import { modelFromObjects, type PolicyModel } from '../policy/model.js';
import { renderRestore } from '../policy/render.js';

async function loadModel(dir: string): Promise<PolicyModel> {
  const { objects, problems } = await readManifestDir(dir);
  for (const p of problems) {
    const what = p.kind !== undefined ? ` ${p.kind}${p.name !== undefined ? ` ${p.name}` : ''}` : '';
    process.stderr.write(`warning: ${p.used ? 'used in part' : 'skipped'} ${p.source} document ${p.index}${what}: ${p.reason}\n`);
  }
  return modelFromObjects(objects);
}

export function protocol(s: string): Protocol {
  const u = s.toUpperCase();
  if (u === 'TCP' || u === 'UDP' || u === 'SCTP') return u;
  throw new PolicyQueryError(`protocol ${JSON.stringify(s)}: use TCP, UDP or SCTP`);
}

export function portNumber(s: string): number {
  if (!/^\d+$/.test(s) || Number(s) < 1 || Number(s) > 65535) throw new PolicyQueryError(`port ${JSON.stringify(s)}: use a number 1-65535`);
  return Number(s);
}

/** "80", "80/udp" */
export function parsePortArg(s: string): { port: number; protocol: Protocol } {
  const [p = '', proto, extra] = s.split('/');
  if (extra !== undefined) throw new PolicyQueryError(`--port ${JSON.stringify(s)}: use PORT or PORT/PROTO`);
  return { port: portNumber(p), protocol: proto === undefined ? 'TCP' : protocol(proto) };
}

export function list(s: string): string[] {
  return s.split(',').map((x) => x.trim()).filter((x) => x !== '');
}

function podRef(s: string, flag: string): string {
  if (!/^[^/\s]+\/[^/\s]+$/.test(s)) throw new PolicyQueryError(`${flag} ${JSON.stringify(s)}: use NAMESPACE/POD`);
  return s;
}

function sideText(name: string, s: SideResult): string {
  const verdict = s.allowed ? 'allowed' : 'denied';
  if (!s.isolated) return `  ${name}: ${verdict} (no ${name} policy selects the pod)`;
  const refs = s.policies.map((p) => `${p.namespace}/${p.name}${p.rule !== null ? ` rule ${p.rule}` : ''}`).join(', ');
  return s.allowed ? `  ${name}: allowed by ${refs}` : `  ${name}: denied (isolated by ${refs}; no rule matches)`;
}

function explanationText(e: Explanation): string {
  return [
    `${e.from.pod} (${e.from.ip}) -> ${e.to.pod} (${e.to.ip}) ${e.port}/${e.protocol}: ${e.allowed ? 'ALLOWED' : 'DENIED'}`,
    sideText('egress', e.egress),
    sideText('ingress', e.ingress),
  ].join('\n');
}

export function registerPolicyCommand(program: Command): void {
  const policy = program.command('policy').description('compile NetworkPolicy offline, explain a flow, predict reachability');

  policy
    .command('compile')
    .description('print the ipset and iptables-restore input the agent would apply on a node')
    .requiredOption('--objects <dir>', 'directory of manifests (Namespaces, Pods, NetworkPolicies)')
    .requiredOption('--node <name>', 'node to compile for')
    .option('--format <format>', 'restore or json', 'restore')
    .action(async (opts: { objects: string; node: string; format: string }) => {
      if (opts.format !== 'restore' && opts.format !== 'json') throw new PolicyQueryError(`--format ${JSON.stringify(opts.format)}: use restore or json`);
      const model = await loadModel(opts.objects);
      const compiled = compile(model, { node: opts.node });
      process.stdout.write(opts.format === 'json' ? JSON.stringify(compiled, null, 2) + '\n' : renderRestore(compiled, familiesInUse(model)));
    });

  policy
    .command('explain')
    .description('is a flow allowed, and which policies and rules decided it (exit 0 either way)')
    .requiredOption('--objects <dir>', 'directory of manifests')
    .requiredOption('--from <ns/pod>', 'sending pod')
    .requiredOption('--to <ns/pod>', 'receiving pod')
    .requiredOption('--port <port[/proto]>', 'destination port, protocol TCP (default), UDP or SCTP')
    .option('--json', 'print JSON')
    .action(async (opts: { objects: string; from: string; to: string; port: string; json?: boolean }) => {
      const from = podRef(opts.from, '--from');
      const to = podRef(opts.to, '--to');
      const { port, protocol: proto } = parsePortArg(opts.port);
      const model = await loadModel(opts.objects);
      const e = new Explainer(model).explain(from, to, port, proto);
      if (opts.json === true) {
        const side = (s: SideResult): object => ({ allowed: s.allowed, isolated: s.isolated, policies: s.policies });
        process.stdout.write(JSON.stringify({ allowed: e.allowed, egress: side(e.egress), ingress: side(e.ingress), from: e.from, to: e.to, port: e.port, protocol: e.protocol, family: e.family }, null, 2) + '\n');
      } else {
        process.stdout.write(explanationText(e) + '\n');
      }
    });

  policy
    .command('matrix')
    .description('predicted reachability of every pod pair (matrix format)')
    .requiredOption('--objects <dir>', 'directory of manifests')
    .option('--ports <list>', 'ports, comma-separated', '80,81')
    .option('--protocols <list>', 'protocols, comma-separated', 'TCP,UDP')
    .option('--json', 'print JSON')
    .action(async (opts: { objects: string; ports: string; protocols: string; json?: boolean }) => {
      const ports = list(opts.ports).map(portNumber);
      const protocols = list(opts.protocols).map(protocol);
      if (ports.length === 0 || protocols.length === 0) throw new PolicyQueryError('--ports and --protocols need at least one value');
      const model = await loadModel(opts.objects);
      const m = predictMatrix(model, { ports, protocols });
      process.stdout.write(opts.json === true ? JSON.stringify(m, null, 2) + '\n' : renderMatrixTable(m));
    });
}

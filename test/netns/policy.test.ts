// The policy engine against a real kernel: a "node" namespace with pods wired as the CNI plugin
// does (a veth per pod with the host end named as the compiler expects, a /32 on the pod, a host
// route to it), our rules applied by the writer, and real TCP/UDP connections compared with the
// matrix prediction. Everything happens inside namespaces this test makes and removes.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject, Pod } from '../../src/k8s/objects.js';
import { execRunner } from '../../src/net/exec.js';
import type { Runner } from '../../src/net/runner.js';
import { compile } from '../../src/policy/compile.js';
import { predictMatrix, type MatrixResult } from '../../src/policy/matrix.js';
import { modelFromObjects, podKey } from '../../src/policy/model.js';
import { defaultHostInterface } from '../../src/policy/names.js';
import { isEmptyPlan } from '../../src/policy/plan.js';
import { applyPolicy } from '../../src/policy/writer.js';
import { parseManifests } from '../../src/k8s/manifests.js';
import { World, type Netns } from '../harness/netns.js';
import { waitFor } from '../harness/wait.js';

const NODE = 'node-1';
const PODS = [
  { ns: 'x', name: 'a', ip: '10.244.1.1' },
  { ns: 'x', name: 'b', ip: '10.244.1.2' },
  { ns: 'y', name: 'a', ip: '10.244.2.1' },
  { ns: 'z', name: 'a', ip: '10.244.3.1' },
];

// Serves TCP and UDP on 80 and 81; answers "pong". `nc -z` resets the connection: ignore socket errors.
const SERVER = `
const net = require('net'), dgram = require('dgram');
for (const p of [80, 81]) {
  net.createServer((s) => { s.on('error', () => {}); s.end('pong\\n'); }).listen(p, '0.0.0.0');
  const u = dgram.createSocket('udp4');
  u.on('error', () => {});
  u.on('message', (m, r) => u.send('pong\\n', r.port, r.address));
  u.bind(p);
}`;

function podObject(p: (typeof PODS)[number], labels: Record<string, string> = { pod: p.name }): Pod {
  return {
    kind: 'Pod',
    namespace: p.ns,
    name: p.name,
    labels,
    nodeName: NODE,
    hostNetwork: false,
    podIPs: [p.ip],
    ports: [80, 81].flatMap((port) => (['TCP', 'UDP'] as const).map((protocol) => ({ name: `serve-${port}-${protocol.toLowerCase()}`, containerPort: port, protocol }))),
    phase: 'Running',
  };
}

function baseObjects(): KubeObject[] {
  return [
    ...['x', 'y', 'z'].map((ns): KubeObject => ({ kind: 'Namespace', name: ns, labels: { ns, 'kubernetes.io/metadata.name': ns } })),
    ...PODS.map((p) => podObject(p)),
  ];
}

function policies(yaml: string): KubeObject[] {
  const r = parseManifests(yaml, 'test');
  expect(r.problems).toEqual([]);
  return r.objects;
}

let world: World;
let node: Netns;
const podNs = new Map<string, Netns>();
let run: Runner;

beforeAll(async () => {
  world = new World();
  node = await world.netns('node');
  run = (cmd) => execRunner({ ...cmd, netns: node.name });
  await world.sysctl(node, { 'net.ipv4.ip_forward': 1 });
  for (const p of PODS) {
    const ns = await world.netns(`pod${p.ns}${p.name}`);
    podNs.set(`${p.ns}/${p.name}`, ns);
    const iface = defaultHostInterface(p.ns, p.name);
    await world.link(node, ns, { nameA: iface, nameB: 'eth0', addrA: '169.254.1.1/32', addrB: `${p.ip}/32` });
    await world.exec(node, ['ip', 'route', 'add', `${p.ip}/32`, 'dev', iface]);
    await world.exec(ns, ['ip', 'route', 'add', '169.254.1.1', 'dev', 'eth0', 'scope', 'link']);
    await world.exec(ns, ['ip', 'route', 'add', 'default', 'via', '169.254.1.1', 'dev', 'eth0']);
    world.spawn(ns, [process.execPath, '-e', SERVER]);
  }
  // Servers up (node -> pod is OUTPUT, never policed).
  for (const p of PODS) {
    await waitFor(async () => (await world.exec(node, ['nc', '-z', '-n', '-w', '1', p.ip, '81'], { okExitCodes: [1] })).exitCode === 0, {
      timeoutMs: 10_000,
      what: `server in ${p.ns}/${p.name}`,
    });
  }
  // A foreign chain and hook, as kube-proxy would have: every apply must leave them alone.
  await world.exec(node, ['iptables', '-N', 'KUBE-SERVICES']);
  await world.exec(node, ['iptables', '-A', 'KUBE-SERVICES', '-d', '10.96.0.10/32', '-p', 'tcp', '--dport', '53', '-j', 'RETURN']);
  await world.exec(node, ['iptables', '-A', 'FORWARD', '-j', 'KUBE-SERVICES']);
}, 60_000);

afterAll(async () => {
  await world.cleanup();
});

async function probe(from: string, to: string, port: number, protocol: string): Promise<boolean> {
  const src = podNs.get(from);
  const dst = PODS.find((p) => `${p.ns}/${p.name}` === to);
  if (src === undefined || dst === undefined) throw new Error(`no pod ${from} or ${to}`);
  if (protocol === 'TCP') {
    const r = await world.exec(src, ['nc', '-z', '-n', '-w', '1', dst.ip, String(port)], { okExitCodes: [1] });
    return r.exitCode === 0;
  }
  const r = await world.exec(src, ['sh', '-c', `echo ping | nc -u -n -w 1 ${dst.ip} ${port}`], { okExitCodes: [1] });
  return r.stdout.includes('pong');
}

/** Probe every cell, a few at a time (a denied probe waits out its 1 s timeout). */
async function observedMatrix(predicted: readonly MatrixResult[]): Promise<MatrixResult[]> {
  const out: MatrixResult[] = [];
  for (let i = 0; i < predicted.length; i += 12) {
    const batch = predicted.slice(i, i + 12);
    out.push(...(await Promise.all(batch.map(async (r) => ({ ...r, allowed: await probe(r.from, r.to, r.port, r.protocol) })))));
  }
  return out;
}

async function applyAndCompare(objects: KubeObject[]): Promise<void> {
  const model = modelFromObjects(objects);
  await applyPolicy(compile(model, { node: NODE }), { run, families: [4] });
  const predicted = predictMatrix(model, { ports: [80, 81], protocols: ['TCP', 'UDP'] }).results;
  const observed = await observedMatrix(predicted);
  expect(observed.filter((o, i) => o.allowed !== predicted[i]?.allowed)).toEqual([]);
}

async function iptablesSave(): Promise<string> {
  return (await world.exec(node, ['iptables-save', '-t', 'filter'])).stdout;
}

describe('policy engine in a node namespace', () => {
  it('allows everything with no policy, and real traffic matches the prediction', async () => {
    await applyAndCompare(baseObjects());
  });

  it('enforces ingress isolation, named ports and namespace selectors as predicted', async () => {
    const objs = [
      ...baseObjects(),
      ...policies(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {namespace: x, name: deny}
spec: {podSelector: {}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {namespace: x, name: from-y-80}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {ns: y}}}]
    ports: [{port: serve-80-tcp}, {port: 81, protocol: UDP}]
`),
    ];
    await applyAndCompare(objs);
    // Spot checks, so the comparison above cannot pass by predicting nothing.
    expect(await probe('y/a', 'x/a', 80, 'TCP')).toBe(true);
    expect(await probe('z/a', 'x/a', 80, 'TCP')).toBe(false);
    expect(await probe('x/b', 'x/a', 80, 'TCP')).toBe(false);
    expect(await probe('y/a', 'x/a', 81, 'UDP')).toBe(true);
    // Re-applying the same state changes nothing.
    const again = await applyPolicy(compile(modelFromObjects(objs), { node: NODE }), { run, families: [4] });
    expect(isEmptyPlan(again)).toBe(true);
  });

  it('enforces egress with ipBlock except, and a relabel is an ipset-only change', async () => {
    const egress = policies(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {namespace: z, name: egress}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 10.244.0.0/16, except: [10.244.1.0/24]}}]
  - to: [{podSelector: {}, namespaceSelector: {matchLabels: {ns: x}}}]
    ports: [{port: 81, endPort: 81, protocol: TCP}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {namespace: x, name: from-b}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from: [{podSelector: {matchLabels: {role: client}}, namespaceSelector: {}}]
`);
    await applyAndCompare([...baseObjects(), ...egress]);
    expect(await probe('z/a', 'x/a', 81, 'TCP')).toBe(false);
    expect(await probe('z/a', 'y/a', 80, 'TCP')).toBe(true);

    // y/a becomes a client: only set members change, no chain is rewritten.
    const relabelled = [...baseObjects().filter((o) => !(o.kind === 'Pod' && podKey(o) === 'y/a')), podObject(PODS[2] as (typeof PODS)[number], { pod: 'a', role: 'client' }), ...egress];
    const model = modelFromObjects(relabelled);
    const plan = await applyPolicy(compile(model, { node: NODE }), { run, families: [4] });
    expect(plan.iptables).toEqual([]);
    expect(plan.ipsetBefore.length).toBeGreaterThan(0);
    expect(await probe('y/a', 'x/a', 80, 'TCP')).toBe(true);
    await applyAndCompare(relabelled);
  });

  it('repairs a tampered chain and keeps foreign rules', async () => {
    const objs = [...baseObjects(), ...policies('apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {namespace: x, name: deny}\nspec: {podSelector: {}}\n')];
    await applyAndCompare(objs);
    // Someone flushes one of our chains and moves our hook.
    await world.exec(node, ['iptables', '-F', 'MERIDIAN-TO-POD']);
    await world.exec(node, ['iptables', '-D', 'FORWARD', '1']);
    await world.exec(node, ['iptables', '-A', 'FORWARD', '-j', 'MERIDIAN-FORWARD']);
    expect(await probe('y/a', 'x/a', 80, 'TCP')).toBe(true);
    const plan = await applyPolicy(compile(modelFromObjects(objs), { node: NODE }), { run, families: [4] });
    expect(plan.iptables).toHaveLength(1);
    expect(await probe('y/a', 'x/a', 80, 'TCP')).toBe(false);
    const saved = await iptablesSave();
    expect(saved).toContain('-A KUBE-SERVICES -d 10.96.0.10/32 -p tcp -m tcp --dport 53 -j RETURN');
    expect(saved).toContain('-A FORWARD -j KUBE-SERVICES');
    expect(saved.split('\n').filter((l) => l.includes('-j MERIDIAN-FORWARD'))).toHaveLength(1);
    expect(saved.split('\n').find((l) => l.startsWith('-A FORWARD'))).toContain('MERIDIAN-FORWARD');
  });

  it('fails closed for a pod interface it does not know yet', async () => {
    // y/a missing from the model (not yet seen by the agent): its veth exists, its traffic is dropped.
    const objs = baseObjects().filter((o) => !(o.kind === 'Pod' && podKey(o) === 'y/a'));
    await applyPolicy(compile(modelFromObjects(objs), { node: NODE }), { run, families: [4] });
    expect(await probe('y/a', 'x/b', 80, 'TCP')).toBe(false);
    expect(await probe('x/a', 'x/b', 80, 'TCP')).toBe(true);
  });

  it('removal deletes our chains and sets and nothing else', async () => {
    await applyPolicy(null, { run, families: [4] });
    const saved = await iptablesSave();
    expect(saved).not.toMatch(/MERIDIAN-|MRD-/);
    expect(saved).toContain('-A FORWARD -j KUBE-SERVICES');
    expect(saved).toContain(':KUBE-SERVICES');
    const sets = (await world.exec(node, ['ipset', 'list', '-n'])).stdout.trim();
    expect(sets).toBe('');
    expect(await probe('y/a', 'x/a', 80, 'TCP')).toBe(true);
  });
});

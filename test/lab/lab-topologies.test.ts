// `meridian lab` behind each router (issue: "the lab comes up and tears down cleanly in each
// topology and with each router") and with a real kube-apiserver. Each case: up with 2 nodes, the
// router's and nodes' sessions Established, every pod pair reachable across nodes, one policy's
// observed matrix equal to `policy matrix`'s prediction, a node added (the router learns it), and
// down leaving no namespace and no process of the lab.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listClusterObjects } from '../../src/k8s/apply.js';
import type { Pod } from '../../src/k8s/objects.js';
import type { LabStatusDoc } from '../../src/lab/observe.js';
import { daemonAlive, type DaemonRef } from '../../src/net/daemon.js';
import type { Matrix } from '../../src/policy/matrix.js';
import { meridian, useLabs, type TestLab } from '../harness/lab-cli.js';
import { POLICIES } from './fixtures.js';

const lab = useLabs();

function labDaemons(l: TestLab): DaemonRef[] {
  const s = JSON.parse(readFileSync(join(l.dir, 'lab.json'), 'utf8')) as {
    nodes: { agent?: DaemonRef; apiForwarder?: DaemonRef }[];
    pods: { server?: DaemonRef }[];
    routerDaemon?: { daemons: DaemonRef[] };
    daemons: DaemonRef[];
  };
  return [
    ...s.nodes.flatMap((n) => [n.agent, n.apiForwarder]),
    ...s.pods.map((p) => p.server),
    ...(s.routerDaemon?.daemons ?? []),
    ...s.daemons,
  ].filter((d): d is DaemonRef => d !== undefined);
}

/** `offline`: the lab's objects are files, so `policy matrix --objects` can read them too. */
async function matchesPrediction(l: TestLab, offline: boolean, args: string[] = []): Promise<void> {
  const f = join(l.dir, 'policy.yaml');
  writeFileSync(f, POLICIES['allow-y-on-named-port'] ?? '');
  await l.run(['apply', '-f', f]);
  const observed = await l.json<Matrix>(['matrix', ...args]);
  if (offline) {
    const r = await meridian(['policy', 'matrix', '--objects', join(l.dir, 'objects'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(observed).toEqual(JSON.parse(r.stdout));
  }
  // And --predict (which reads the lab's own datastore, files or API) agrees.
  const cmp = await l.run(['matrix', '--predict', ...args]);
  expect(cmp.stdout).toContain("matches `policy matrix`'s prediction");
  expect(observed.results.some((c) => !c.allowed)).toBe(true);
}

async function downClean(l: TestLab): Promise<void> {
  const daemons = labDaemons(l);
  expect(daemons.length).toBeGreaterThan(0);
  await l.run(['down']);
  expect(l.namespaces()).toEqual([]);
  expect(daemons.filter(daemonAlive)).toEqual([]);
}

const CASES = [
  { topology: 'tor', router: 'bird', ipv6: false },
  { topology: 'tor', router: 'frr', ipv6: true },
  { topology: 'tor', router: 'gobgp', ipv6: true },
  { topology: 'rr', router: 'bird', ipv6: true },
  { topology: 'rr', router: 'frr', ipv6: false },
  { topology: 'rr', router: 'gobgp', ipv6: true },
  { topology: 'rr', router: 'meridian', ipv6: false },
] as const;

describe.each(CASES)('meridian lab --topology $topology --router $router (ipv6: $ipv6)', ({ topology, router, ipv6 }) => {
  it('comes up, routes pods across nodes, enforces policy as predicted, takes a new node, goes down cleanly', async () => {
    const l = lab();
    await l.run(['up', '--topology', topology, '--router', router, '--nodes', '2', ...(ipv6 ? ['--ipv6'] : [])]);
    const st = await l.json<LabStatusDoc>(['status']);
    expect(st.nodes.every((n) => n.ready)).toBe(true);
    for (const n of st.nodes) expect(n.sessions.length).toBeGreaterThan(0);
    for (const n of st.nodes) expect(n.sessions.every((s) => s.state === 'Established')).toBe(true);
    if (router !== 'meridian') {
      expect(st.routerStatus?.kind).toBe(router);
      expect(st.routerStatus?.sessions.map((s) => s.state)).toEqual(Array(ipv6 ? 4 : 2).fill('Established'));
    }
    // Every pair reachable, IPv4 and (dual-stack) IPv6: across nodes through the ToR or directly.
    for (const family of ipv6 ? ['4', '6'] : ['4']) {
      const m = await l.json<Matrix>(['matrix', '--family', family, '--ports', '80']);
      expect(m.results.filter((c) => !c.allowed)).toEqual([]);
    }
    await matchesPrediction(l, true, ['--family', ipv6 ? '6' : '4']);
    await l.run(['node', 'add']);
    const st3 = await l.json<LabStatusDoc>(['status']);
    expect(st3.nodes.map((n) => n.name)).toEqual(['node-1', 'node-2', 'node-3']);
    if (router !== 'meridian') expect(st3.routerStatus?.sessions.filter((s) => s.state === 'Established')).toHaveLength(ipv6 ? 6 : 3);
    await downClean(l);
  }, 120_000);
});

describe('meridian lab --apiserver', () => {
  it('runs the agents on a real kube-apiserver: pods carry their IPs in status, applies go through the API, down stops the control plane', async () => {
    const l = lab();
    await l.run(['up', '--apiserver', '--nodes', '2']);
    const st = await l.json<LabStatusDoc>(['status']);
    expect(st.kubeconfig).toBeDefined();
    // The kubeconfig works from the host: the API has the pods with the IPs the lab wired.
    const pods = (await listClusterObjects(st.kubeconfig ?? '')).filter((o): o is Pod => o.kind === 'Pod');
    expect(pods.map((p) => `${p.namespace}/${p.name}=${p.podIPs.join()}`).sort()).toEqual(st.pods.map((p) => `${p.namespace}/${p.name}=${p.ips.join()}`).sort());
    await matchesPrediction(l, false);
    await l.run(['node', 'add']);
    expect((await l.json<LabStatusDoc>(['status'])).nodes.every((n) => n.ready)).toBe(true);
    await downClean(l);
  }, 120_000);
});

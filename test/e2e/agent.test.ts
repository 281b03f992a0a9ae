// issue 7's "done when", end to end: `meridian agent` in node namespaces talking to a real
// kube-apiserver with the DaemonSet's ServiceAccount (deploy/rbac.yaml: a missing permission
// fails this test), pods created through the API and wired by meridian-cni from the node file the
// agent writes, routes between nodes by BGP alone.
// - a NetworkPolicy created through the API is enforced within a second; deleting it restores
//   traffic (figures: API write -> kernel change);
// - objects the API accepts but we cannot use are reported in status and logs, and everything else
//   keeps working: a BGPPeer with a bad address is skipped, a NetworkPolicy with an unusable rule
//   is used fail-closed (the rule dropped, the pods it selects stay isolated);
// - an API server stop and start disturbs neither forwarding nor enforcement, and the agents
//   resync when it is back;
// - a new node's podCIDR route (figure: API write -> route in another node's kernel);
// - one node cut off the API server while the cluster changes keeps its last view and catches up
//   when it is back;
// - SIGTERM leaves routes and policy rules in place, and the restarted agent converges over them
//   without a moment of lost reachability or opened policy.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execRunner as run } from '../../src/net/exec.js';
import { listRoutes } from '../../src/net/ip.js';
import { ApiBridge } from '../harness/api-bridge.js';
import { agentNode, nodeDoc, wirePod, type AgentNode, type TestPod } from '../harness/agent-node.js';
import { ControlPlane } from '../harness/control-plane.js';
import { DEPLOY_FILES } from '../harness/deploy-files.js';
import { applyFiles, create, remove, type Doc } from '../harness/kube-apply.js';
import { World } from '../harness/netns.js';
import { sleep, waitFor } from '../harness/wait.js';

let cp: ControlPlane;
let world: World;
let bridge: ApiBridge;
let dir: string;
const figures: Record<string, number> = {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mrd-agent-e2e-'));
  cp = await ControlPlane.start();
  await applyFiles(cp, DEPLOY_FILES);
  bridge = await ApiBridge.start(dir, cp.url);
  world = new World();
}, 180_000);

afterAll(async () => {
  await world?.cleanup();
  await bridge?.close();
  await cp?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  console.log(`FIGURES ${JSON.stringify(figures)}`);
});

const np = (name: string, spec: Record<string, unknown>): Doc => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace: 'x' }, spec });

async function canReach(from: TestPod, to: TestPod, timeoutMs = 400): Promise<boolean> {
  return (await from.prober.probe({ host: to.ip, port: 80, proto: 'TCP', timeoutMs })).ok;
}

async function hasRoute(n: AgentNode, dst: string, via: string): Promise<boolean> {
  return (await listRoutes(run, { family: 4, protocol: 180, netns: n.ns.name })).some((r) => r.dst === dst && r.gateway === via);
}

/** ms from `t0` until the node's filter table differs from `baseline`. */
async function kernelChange(n: AgentNode, baseline: string, t0: number, what: string): Promise<number> {
  await waitFor(async () => (await world.exec(n.ns, ['iptables-save', '-t', 'filter'])).stdout.replace(/^#.*$/gm, '') !== baseline, { timeoutMs: 5000, intervalMs: 10, what });
  return Math.round(performance.now() - t0);
}

const filter = async (n: AgentNode) => (await world.exec(n.ns, ['iptables-save', '-t', 'filter'])).stdout.replace(/^#.*$/gm, '');

describe('meridian agent against a real API server', () => {
  it('routes, enforces policy from the API, skips bad objects, survives an API outage and stops gracefully', async () => {
    const token = await cp.serviceAccountToken('kube-system', 'meridian');
    const sw = await world.netns('switch');
    const br = await world.bridge(sw);
    const mk = (name: string, role: string, i: number) =>
      agentNode(world, { name, role, ip: `192.0.2.${i}`, podCidr: `10.244.${i}.0/24`, dir, bridge, cp, token, attach: async (ns) => void (await world.attach(ns, br, { addr: `192.0.2.${i}/24` })) });
    const a = await mk('node-a', 'nodea', 1);
    const b = await mk('node-b', 'nodeb', 2);
    const c = await mk('node-c', 'nodec', 3);
    await create(cp, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x', labels: { ns: 'x' } } });
    for (const n of [a, b]) await create(cp, nodeDoc(n.name, n.ip, n.podCidr));
    for (const n of [a, b, c]) n.start();
    const dump = () => [a, b, c].map((n) => `--- ${n.name} ---\n${n.logs(25)}`).join('\n');
    try {
      await a.waitReady();
      await b.waitReady();
      for (const [n, o] of [[a, b], [b, a]] as const) await waitFor(() => hasRoute(n, o.podCidr, o.ip), { timeoutMs: 20_000, what: `${n.name} to route ${o.podCidr} via BGP` });
      expect(JSON.parse(readFileSync(a.nodeFile, 'utf8'))).toEqual({ nodeName: 'node-a', podCIDRs: ['10.244.1.0/24'] });
      // node-c has no Node yet: synced, but not ready and no BGP.
      const cst = await c.status();
      expect(cst.datastore.view.synced).toBe(true);
      expect(cst.readiness).toMatchObject({ ready: false, why: expect.stringContaining('node-c') as string });

      const pa = await wirePod(world, cp, a, { namespace: 'x', name: 'a', labels: { pod: 'a' }, dir });
      const pc = await wirePod(world, cp, a, { namespace: 'x', name: 'c', labels: { pod: 'c' }, dir });
      const pb = await wirePod(world, cp, b, { namespace: 'x', name: 'b', labels: { pod: 'b' }, dir });
      expect(pa.ip).toMatch(/^10\.244\.1\./);
      expect(pb.ip).toMatch(/^10\.244\.2\./);
      await waitFor(() => canReach(pa, pb), { timeoutMs: 10_000, what: 'pod a to reach pod b across nodes' });
      expect(await canReach(pc, pb)).toBe(true);

      // Objects the API accepts but we cannot use: reported, the rest keeps working. A BGPPeer is
      // skipped; a NetworkPolicy is used fail-closed (its unusable rule dropped, pod b stays isolated).
      await create(cp, np('ambiguous', { podSelector: { matchLabels: { pod: 'b' } }, ingress: [{ from: [{ ipBlock: { cidr: '010.0.0.0/8' } }] }] }));
      await create(cp, { apiVersion: 'meridian.io/v1', kind: 'BGPPeer', metadata: { name: 'bad-address' }, spec: { peerIP: '10.0.0.300', asNumber: 65000 } });
      for (const n of [a, b]) {
        await waitFor(async () => (await n.status()).datastore.view.problems.length === 2, { timeoutMs: 5000, what: `${n.name} to report 2 objects it cannot use` });
        const st = await n.status();
        expect(st.datastore.view.problems.map((p) => `${p.kind} ${p.name}`).sort()).toEqual(['BGPPeer bad-address', 'NetworkPolicy ambiguous']);
        expect(st.datastore.view.problems.find((p) => p.kind === 'NetworkPolicy')?.reason).toMatch(/^used fail-closed: .*leading zero/);
        expect(n.logs(200)).toContain('object skipped: cannot be used');
        expect(n.logs(200)).toContain('object used in part');
      }
      await waitFor(async () => !(await canReach(pa, pb, 150)), { timeoutMs: 2000, intervalMs: 0, what: 'pod b to be isolated by the policy used fail-closed' });
      expect(await canReach(pa, pb, 1000)).toBe(false);
      expect(await canReach(pb, pa)).toBe(true);
      await remove(cp, np('ambiguous', {}));
      await waitFor(() => canReach(pa, pb, 150), { timeoutMs: 2000, intervalMs: 0, what: 'pod b to be reachable again' });
      await waitFor(async () => (await b.status()).datastore.view.problems.length === 1, { timeoutMs: 5000, what: 'the policy problem to clear' });

      // Policy from the API: only pod a may reach pod b. Enforced within a second.
      let base = await filter(b);
      let t0 = performance.now();
      await create(cp, np('b-from-a', { podSelector: { matchLabels: { pod: 'b' } }, ingress: [{ from: [{ podSelector: { matchLabels: { pod: 'a' } } }] }] }));
      figures['policyCreateToKernelMs'] = await kernelChange(b, base, t0, 'node-b to program the policy');
      await waitFor(async () => !(await canReach(pc, pb, 150)), { timeoutMs: 1000, intervalMs: 0, what: 'pod c to be denied within a second' });
      figures['policyCreateToDeniedMs'] = Math.round(performance.now() - t0);
      expect(figures['policyCreateToDeniedMs']).toBeLessThan(1000);
      expect(await canReach(pc, pb, 1000)).toBe(false);
      expect(await canReach(pa, pb)).toBe(true);

      // API server down: forwarding and enforcement stay.
      await cp.stopApiServer();
      for (const n of [a, b]) await waitFor(async () => Object.values((await n.status()).datastore.kinds).some((k) => !k.connected), { timeoutMs: 20_000, what: `${n.name} to notice the outage` });
      for (let i = 0; i < 5; i++) {
        expect(await canReach(pa, pb)).toBe(true);
        expect(await canReach(pc, pb)).toBe(false);
        await sleep(300);
      }
      expect(await hasRoute(a, b.podCidr, b.ip)).toBe(true);
      expect((await a.status()).readiness.ready).toBe(true);
      await cp.startApiServer();
      for (const n of [a, b]) await waitFor(async () => Object.values((await n.status()).datastore.kinds).every((k) => k.connected), { timeoutMs: 30_000, what: `${n.name} to reconnect` });

      // After the restart, changes flow again: deleting the policy restores traffic within a second.
      base = await filter(b);
      t0 = performance.now();
      await remove(cp, np('b-from-a', {}));
      figures['policyDeleteToKernelMs'] = await kernelChange(b, base, t0, 'node-b to remove the policy');
      await waitFor(() => canReach(pc, pb, 150), { timeoutMs: 1000, intervalMs: 0, what: 'pod c to reach pod b again within a second' });
      figures['policyDeleteToAllowedMs'] = Math.round(performance.now() - t0);
      expect(figures['policyDeleteToAllowedMs']).toBeLessThan(1000);

      // One node cut off while the cluster changes: it keeps its last view (pod b stays reachable),
      // and when it is back it catches up with what changed meanwhile.
      await b.cutApi();
      await waitFor(async () => Object.values((await b.status()).datastore.kinds).some((k) => !k.connected), { timeoutMs: 20_000, what: 'node-b to notice it is cut off' });
      await create(cp, np('b-deny', { podSelector: { matchLabels: { pod: 'b' } } }));
      await sleep(1500);
      expect(await canReach(pa, pb)).toBe(true);
      await b.restoreApi();
      await waitFor(async () => !(await canReach(pa, pb, 150)), { timeoutMs: 30_000, intervalMs: 100, what: 'node-b to catch up with the policy written while it was cut off' });
      await remove(cp, np('b-deny', {}));
      await waitFor(() => canReach(pa, pb, 150), { timeoutMs: 2000, intervalMs: 0, what: 'pod b reachable again' });

      // A new node: API write -> its podCIDR route in node-a's kernel (via BGP from node-c's agent).
      t0 = performance.now();
      await create(cp, nodeDoc(c.name, c.ip, c.podCidr));
      await waitFor(() => hasRoute(a, c.podCidr, c.ip), { timeoutMs: 20_000, intervalMs: 10, what: 'node-a to route node-c\'s podCIDR' });
      figures['newNodeToRouteMs'] = Math.round(performance.now() - t0);
      await c.waitReady();

      // Metrics and health, from another node's namespace.
      const metrics = (await world.exec(b.ns, ['curl', '-sf', `http://${a.ip}:9493/metrics`])).stdout;
      expect(metrics).toMatch(/meridian_policy_syncs_total\{kind="(incremental|resync)",result="ok"\} [1-9]/);
      expect(metrics).toMatch(/meridian_datastore_events_total\{kind="NetworkPolicy",type="upsert"\} [1-9]/);
      expect(metrics).toMatch(/meridian_datastore_errors_total\{kind="Pod"\} [1-9]/);
      expect(metrics).toContain('meridian_datastore_invalid_objects 1');
      expect((await world.exec(b.ns, ['curl', '-sf', `http://${a.ip}:9493/readyz`])).stdout).toBe('ok\n');

      // SIGTERM: the agent exits, routes and policy rules stay.
      await create(cp, np('b-from-a', { podSelector: { matchLabels: { pod: 'b' } }, ingress: [{ from: [{ podSelector: { matchLabels: { pod: 'a' } } }] }] }));
      await waitFor(async () => !(await canReach(pc, pb, 150)), { timeoutMs: 2000, intervalMs: 0, what: 'the policy again' });
      b.proc.kill('SIGTERM');
      expect((await b.proc.exited).code).toBe(0);
      expect(await hasRoute(b, a.podCidr, a.ip)).toBe(true);
      expect(await canReach(pa, pb)).toBe(true);
      expect(await canReach(pc, pb)).toBe(false);

      // Restarted, it converges over the state it left: node-a kept b's routes (graceful restart),
      // and at no point while b comes back is pod b unreachable from a or reachable from c.
      await sleep(3000);
      expect(await hasRoute(a, b.podCidr, b.ip)).toBe(true);
      b.start();
      const probes: [boolean, boolean][] = [];
      const until = performance.now() + 60_000;
      for (;;) {
        probes.push([await canReach(pa, pb, 1000), await canReach(pc, pb, 150)]);
        const st = await b.status().catch(() => undefined);
        if (st?.readiness.ready === true) break;
        if (performance.now() > until) throw new Error(`node-b not ready after a restart\n${b.logs()}`);
      }
      expect(probes.length).toBeGreaterThan(1);
      expect(probes.filter(([ab]) => !ab)).toEqual([]);
      expect(probes.filter(([, cb]) => cb)).toEqual([]);
      expect(await hasRoute(a, b.podCidr, b.ip)).toBe(true);
      expect(await hasRoute(b, a.podCidr, a.ip)).toBe(true);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${dump()}`);
    }
  }, 240_000);
});

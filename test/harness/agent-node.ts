// A cluster node for agent e2e tests: a node namespace on the test's L2 segment running
// `meridian agent` against the real API server (through ApiBridge, with the DaemonSet's
// ServiceAccount token), a CNI runtime for meridian-cni reading the node file the agent writes,
// and pods created through the API, wired by the plugin and given their IPs in status as kubelet
// would. Status comes from the agent's status socket, as `meridian status` reads it.

import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import type { AgentStatus } from '../../src/agent/agent.js';
import type { ApiBridge } from './api-bridge.js';
import { CniRuntime } from './cni-runtime.js';
import type { ControlPlane } from './control-plane.js';
import { create, mergePatch, type Doc } from './kube-apply.js';
import type { Netns, Proc, World } from './netns.js';
import { PodProber } from './pod-prober.js';
import { waitFor } from './wait.js';

const MERIDIAN = resolve(import.meta.dirname, '../../dist/meridian.js');

export interface AgentNode {
  readonly name: string;
  readonly ns: Netns;
  readonly ip: string;
  readonly podCidr: string;
  readonly nodeFile: string;
  readonly socket: string;
  proc: Proc;
  start(): Proc;
  status(): Promise<AgentStatus>;
  logs(lines?: number): string;
  waitReady(timeoutMs?: number): Promise<void>;
  /** Cut this node off the API server (its forwarder stops), and reconnect it. */
  cutApi(): Promise<void>;
  restoreApi(): Promise<void>;
}

export function nodeDoc(name: string, ip: string, podCidr: string): Doc {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name },
    spec: { podCIDR: podCidr, podCIDRs: [podCidr] },
    status: { addresses: [{ type: 'InternalIP', address: ip }] },
  };
}

export function getStatus<T = AgentStatus>(socketPath: string): Promise<T> {
  return new Promise((res, rej) => {
    const req = request({ socketPath, path: '/status', timeout: 3000 }, (r) => {
      let body = '';
      r.on('data', (d: Buffer) => (body += d.toString()));
      r.on('end', () => {
        try {
          res(JSON.parse(body) as T);
        } catch (e) {
          rej(e instanceof Error ? e : new Error(String(e)));
        }
      });
    });
    req.on('error', rej);
    req.end();
  });
}

/** A node namespace on `br`'s segment with the API forwarder and an agent config (not started). */
export async function agentNode(
  w: World,
  o: { name: string; role: string; ip: string; podCidr: string; dir: string; bridge: ApiBridge; attach: (ns: Netns) => Promise<void>; cp: ControlPlane; token: string },
): Promise<AgentNode> {
  const ns = await w.netns(o.role);
  await o.attach(ns);
  // Like a real node, a default route (to a router that is not there): proxy ARP answers for the
  // pods' 169.254.1.1 gateway only when the node can route it.
  await w.exec(ns, ['ip', 'route', 'add', 'default', 'via', '192.0.2.254']);
  let forwarder = await o.bridge.attach(w, ns);
  const kubeconfig = o.cp.writeKubeconfig(join(o.dir, `${o.name}.kubeconfig`), { token: o.token, server: o.bridge.nodeUrl });
  const nodeFile = join(o.dir, o.name, 'node.json');
  const socket = join(o.dir, `${o.name}.sock`);
  const config = join(o.dir, `${o.name}.yaml`);
  writeFileSync(
    config,
    stringify({
      nodeName: o.name,
      datastore: { type: 'kubernetes', kubeconfig },
      bgp: { asn: 64512, gracefulRestartTime: 30 },
      cni: { nodeFile },
      statusSocket: socket,
      metrics: { listen: `${o.ip}:9493` },
      logLevel: 'info',
    }),
  );
  const spawn = () => w.spawn(ns, [process.execPath, MERIDIAN, 'agent', '--config', config], { env: { PATH: process.env['PATH'] ?? '' } });
  const node: AgentNode = {
    name: o.name,
    ns,
    ip: o.ip,
    podCidr: o.podCidr,
    nodeFile,
    socket,
    proc: undefined as unknown as Proc,
    start() {
      node.proc = spawn();
      return node.proc;
    },
    status: () => getStatus(socket),
    logs: (lines = 40) => node.proc.output().stderr.split('\n').slice(-lines).join('\n'),
    async cutApi() {
      forwarder.kill('SIGKILL');
      await forwarder.exited;
    },
    async restoreApi() {
      forwarder = await o.bridge.attach(w, ns);
    },
    async waitReady(timeoutMs = 30_000) {
      await waitFor(async () => (await getStatus(socket).catch(() => undefined))?.readiness.ready === true, { timeoutMs, intervalMs: 100, what: `agent ${o.name} to be ready` }).catch(
        (e: unknown) => {
          throw new Error(`${(e as Error).message}\n--- ${o.name} log ---\n${node.logs()}`);
        },
      );
    },
  };
  return node;
}

export interface TestPod {
  readonly namespace: string;
  readonly name: string;
  readonly ip: string;
  readonly ns: Netns;
  readonly prober: PodProber;
}

/** Create a pod through the API on `node`, wire it with meridian-cni, publish its IP, serve port 80. */
export async function wirePod(w: World, cp: ControlPlane, node: AgentNode, o: { namespace: string; name: string; labels: Record<string, string>; dir: string }): Promise<TestPod> {
  const doc: Doc = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: o.name, namespace: o.namespace, labels: o.labels },
    spec: { nodeName: node.name, containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10', ports: [{ name: 'http', containerPort: 80 }] }] },
  };
  await create(cp, doc);
  const ns = await w.netns(`pod${o.name}`);
  const cni = new CniRuntime({
    nodeNs: node.ns.name,
    list: { cniVersion: '1.0.0', name: 'meridian', plugins: [{ type: 'meridian-cni', nodeFile: node.nodeFile, ipam: { ranges: [[{ subnet: 'usePodCidr' }]], dataDir: join(o.dir, node.name, 'ipam') } }] },
  });
  const result = await cni.add({ containerId: `${o.namespace}-${o.name}`, netns: `/run/netns/${ns.name}`, pod: { namespace: o.namespace, name: o.name } });
  const ip = ((result['ips'] as { address: string }[])[0]?.address ?? '').split('/')[0] ?? '';
  await mergePatch(cp, doc, { status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] } }, { status: true });
  const prober = await PodProber.start(w, ns, { socket: join(o.dir, `${o.name}.probe.sock`), ports: [80] });
  return { namespace: o.namespace, name: o.name, ip, ns, prober };
}

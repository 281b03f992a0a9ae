// A small cluster in network namespaces for policy tests: "node" namespaces on one L2 segment (a
// bridge in a "switch" namespace) with static routes to each other's pods (routing is BGP's job
// and not under test here), and pods wired as a ptp CNI plugin does:
//   - a veth pair; the host end is named defaultHostInterface(ns, name), which the compiler expects;
//   - the pod gets its /32 (and /128), a link route to 169.254.1.1 and a default route via it; the
//     host end answers ARP for it with proxy_arp (proxy_delay 0, or the first ARP waits up to 0.8 s);
//   - for IPv6 the host end holds fe80::1 and the pod's default route points there;
//   - the node has a /32 (/128) route to the pod through the host end.
// Each pod runs the lab pod server (TCP and UDP servers on 80 and 81, and a prober). `apply` compiles
// the objects for each node and converges it with the real writer, like the agent would.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { KubeObject, Pod } from '../../src/k8s/objects.js';
import { execRunner } from '../../src/net/exec.js';
import type { Runner } from '../../src/net/runner.js';
import { familyOf } from '../../src/policy/cidr.js';
import { compile } from '../../src/policy/compile.js';
import { modelFromObjects } from '../../src/policy/model.js';
import { defaultHostInterface } from '../../src/policy/names.js';
import type { PolicyPlan } from '../../src/policy/plan.js';
import { applyPolicy } from '../../src/policy/writer.js';
import { World, type Netns } from '../harness/netns.js';
import { e2eObjects } from '../unit/policy/e2e-model.js';
import { PodProber, type ProbeProtocol, type ProbeResult } from '../harness/pod-prober.js';

export interface ClusterPod {
  readonly ns: string;
  readonly name: string;
  readonly node: string;
  /** IPv4 first, then optionally IPv6. */
  readonly ips: readonly string[];
}

interface NodeState {
  readonly netns: Netns;
  readonly addr4: string;
  readonly addr6: string;
  readonly run: Runner;
}

interface PodState {
  readonly spec: ClusterPod;
  readonly netns: Netns;
  readonly prober: PodProber;
}

export interface Cell {
  readonly from: string;
  readonly to: string;
  readonly port: number;
  readonly protocol: ProbeProtocol;
}

const GATEWAY4 = '169.254.1.1';
const GATEWAY6 = 'fe80::1';

export class PolicyCluster {
  readonly nodes = new Map<string, NodeState>();
  readonly pods = new Map<string, PodState>();
  private readonly sockDir = mkdtempSync(join(tmpdir(), 'mrd-probe-'));

  private constructor(private readonly world: World) {}

  static async start(world: World, opts: { nodes: readonly string[]; pods: readonly ClusterPod[] }): Promise<PolicyCluster> {
    const c = new PolicyCluster(world);
    try {
      const sw = await world.netns('switch');
      const br = await world.bridge(sw);
      for (const [i, name] of opts.nodes.entries()) {
        const ns = await world.netns(`node${i + 1}`);
        const addr4 = `192.168.100.${i + 1}`;
        const addr6 = `fd00:192:168:100::${i + 1}`;
        await world.sysctl(ns, { 'net.ipv4.ip_forward': 1, 'net.ipv6.conf.all.forwarding': 1, 'net.ipv6.conf.default.accept_dad': 0 });
        await world.attach(ns, br, { name: 'uplink', addr: [`${addr4}/24`, `${addr6}/64`] });
        // A default route, as a real node has: proxy ARP answers only for targets routed out of
        // another interface, and 169.254.1.1 is routed nowhere else.
        await world.exec(ns, ['ip', 'route', 'add', 'default', 'via', '192.168.100.254', 'dev', 'uplink']);
        c.nodes.set(name, { netns: ns, addr4, addr6, run: (cmd) => execRunner({ ...cmd, netns: ns.name }) });
      }
      await Promise.all(opts.pods.map((p) => c.addPod(p)));
      return c;
    } catch (e) {
      c.close();
      throw e;
    }
  }

  private node(name: string): NodeState {
    const n = this.nodes.get(name);
    if (n === undefined) throw new Error(`no node ${name}`);
    return n;
  }

  pod(key: string): PodState {
    const p = this.pods.get(key);
    if (p === undefined) throw new Error(`no pod ${key}`);
    return p;
  }

  /** Wire a pod on its node, route to it from the other nodes, start its agent. */
  async addPod(p: ClusterPod): Promise<void> {
    const node = this.node(p.node);
    const w = this.world;
    const ns = await w.netns(`pod${p.ns}${p.name}`);
    const iface = defaultHostInterface(p.ns, p.name);
    const v6 = p.ips.filter((ip) => familyOf(ip) === 6);
    await w.sysctl(ns, { 'net.ipv6.conf.all.accept_dad': 0, 'net.ipv6.conf.default.accept_dad': 0 });
    await w.link(node.netns, ns, {
      nameA: iface,
      nameB: 'eth0',
      addrA: v6.length > 0 ? [`${GATEWAY6}/64`] : [],
      addrB: p.ips.map((ip) => `${ip}/${familyOf(ip) === 6 ? 128 : 32}`),
    });
    await w.sysctl(node.netns, { [`net.ipv4.conf.${iface}.proxy_arp`]: 1, [`net.ipv4.neigh.${iface}.proxy_delay`]: 0 });
    const nodeRoutes = p.ips.map((ip) => `route add ${ip} dev ${iface}`);
    const podRoutes = [`route add ${GATEWAY4} dev eth0 scope link`, `route add default via ${GATEWAY4} dev eth0`];
    if (v6.length > 0) podRoutes.push(`route add default via ${GATEWAY6} dev eth0`); // the gateway makes it IPv6
    await w.exec(node.netns, ['ip', '-batch', '-'], { input: nodeRoutes.join('\n') + '\n' });
    await w.exec(ns, ['ip', '-batch', '-'], { input: podRoutes.join('\n') + '\n' });
    for (const [name, other] of this.nodes) {
      if (name === p.node) continue;
      const routes = p.ips.map((ip) => `route add ${ip} via ${familyOf(ip) === 6 ? node.addr6 : node.addr4} dev uplink`);
      await w.exec(other.netns, ['ip', '-batch', '-'], { input: routes.join('\n') + '\n' });
    }
    const prober = await PodProber.start(w, ns, { socket: join(this.sockDir, `${p.ns}-${p.name}.sock`) });
    this.pods.set(`${p.ns}/${p.name}`, { spec: p, netns: ns, prober });
  }

  /** Compile the objects for every node and apply them with the real writer, all nodes at once. */
  async apply(objects: readonly KubeObject[]): Promise<Map<string, PolicyPlan>> {
    const model = modelFromObjects(objects);
    const plans = await Promise.all(
      [...this.nodes].map(async ([name, n]) => [name, await applyPolicy(compile(model, { node: name }), { run: n.run, families: [4, 6] })] as const),
    );
    return new Map(plans);
  }

  /** Remove everything of ours from every node. */
  async removePolicy(): Promise<void> {
    await Promise.all([...this.nodes.values()].map((n) => applyPolicy(null, { run: n.run, families: [4, 6] })));
  }

  async probe(cell: Cell, family: 4 | 6 = 4, timeoutMs?: number): Promise<ProbeResult> {
    const host = this.pod(cell.to).spec.ips.find((ip) => familyOf(ip) === family);
    if (host === undefined) throw new Error(`${cell.to} has no IPv${family} address`);
    return this.pod(cell.from).prober.probe({ host, port: cell.port, proto: cell.protocol, ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
  }

  /** Probe every cell at once; returns the cells with what was observed. */
  async observe<C extends Cell>(cells: readonly C[], family: 4 | 6 = 4): Promise<(C & { allowed: boolean; why: string })[]> {
    return Promise.all(cells.map(async (c) => {
      const r = await this.probe(c, family);
      return { ...c, allowed: r.ok, why: r.why };
    }));
  }

  /** Same node or not, for reporting how many probes crossed nodes. */
  sameNode(a: string, b: string): boolean {
    return this.pod(a).spec.node === this.pod(b).spec.node;
  }

  /** Close the probe connections and their socket directory; the world stops the processes. */
  close(): void {
    for (const p of this.pods.values()) p.prober.close();
    rmSync(this.sockDir, { recursive: true, force: true });
  }
}

/**
 * The two-node, dual-stack x/y/z x a/b/c world of the upstream e2e model, built once per test file
 * (the conformance and update suites share it), removed after it; the root namespace is checked
 * unchanged. Read `world` and `cluster` inside tests, after beforeAll ran.
 */
export function useE2eCluster(): { readonly world: World; readonly cluster: PolicyCluster } {
  let world: World | undefined;
  let cluster: PolicyCluster | undefined;
  beforeAll(async () => {
    world = new World();
    const pods = e2eObjects({ dualStack: true }).filter((o): o is Pod => o.kind === 'Pod');
    cluster = await PolicyCluster.start(world, {
      nodes: ['node-1', 'node-2'],
      pods: pods.map((p) => ({ ns: p.namespace, name: p.name, node: p.nodeName ?? '', ips: p.podIPs })),
    });
  }, 120_000);
  afterAll(async () => {
    cluster?.close();
    await world?.cleanup();
  });
  return {
    get world(): World {
      if (world === undefined) throw new Error('the e2e world is not set up yet');
      return world;
    },
    get cluster(): PolicyCluster {
      if (cluster === undefined) throw new Error('the e2e cluster is not set up yet');
      return cluster;
    },
  };
}

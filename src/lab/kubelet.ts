// The lab's kubelet: wires a pod the way a container runtime does (a network namespace, then
// meridian-cni ADD run on the pod's node with the CNI environment and the network config on
// stdin), starts its server, and takes it down again with CNI DEL. The plugin is this checkout's
// own (dist/meridian-cni.cjs), so the lab exercises exactly what a cluster would run.

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { daemonAlive, startDaemon, stopDaemon, type DaemonRef } from '../net/daemon.js';
import { wrapNetns } from '../net/runner.js';
import { distFile } from './dist-files.js';
import { ProbeClient } from './probe-client.js';

export interface CniCall {
  readonly verb: 'ADD' | 'DEL';
  readonly nodeNetns: string;
  readonly podNetns: string | undefined;
  readonly containerId: string;
  readonly namespace: string;
  readonly name: string;
  readonly config: Record<string, unknown>;
}

export class CniCallError extends Error {}

/** Run meridian-cni once; returns its JSON result (ADD) or nothing (DEL). */
export function runCni(c: CniCall): Promise<Record<string, unknown> | undefined> {
  const argv = wrapNetns([process.execPath, distFile('meridian-cni.cjs')], c.nodeNetns);
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    CNI_COMMAND: c.verb,
    CNI_CONTAINERID: c.containerId,
    CNI_IFNAME: 'eth0',
    CNI_PATH: '/opt/cni/bin:/usr/lib/cni',
    CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=${c.namespace};K8S_POD_NAME=${c.name};K8S_POD_INFRA_CONTAINER_ID=${c.containerId}`,
    ...(c.podNetns !== undefined ? { CNI_NETNS: c.podNetns } : {}),
  };
  return new Promise((resolve, reject) => {
    const child = execFile(argv[0] as string, argv.slice(1), { env, timeout: 30_000 }, (err, stdout) => {
      if (err !== null) {
        let msg = stdout.trim();
        try {
          const e = JSON.parse(stdout) as { code?: number; msg?: string; details?: string };
          msg = `CNI error ${String(e.code)}: ${e.msg ?? ''}${e.details !== undefined ? ` (${e.details})` : ''}`;
        } catch {
          // Not JSON: report what it printed.
        }
        reject(new CniCallError(`meridian-cni ${c.verb} for ${c.namespace}/${c.name} on ${c.nodeNetns}: ${msg || err.message}`));
        return;
      }
      if (c.verb === 'DEL') {
        resolve(undefined);
        return;
      }
      try {
        resolve(JSON.parse(stdout) as Record<string, unknown>);
      } catch {
        reject(new CniCallError(`meridian-cni ADD printed no JSON: ${stdout}`));
      }
    });
    child.stdin?.end(JSON.stringify(c.config));
  });
}

/** The pod's addresses from a CNI result, without prefix lengths, IPv4 first. */
export function resultIps(result: Record<string, unknown>): string[] {
  const ips = Array.isArray(result['ips']) ? (result['ips'] as { address?: unknown }[]) : [];
  return ips
    .map((i) => (typeof i.address === 'string' ? (i.address.split('/')[0] ?? '') : ''))
    .filter((a) => a !== '')
    .sort((a, b) => Number(a.includes(':')) - Number(b.includes(':')));
}

/** The network config the lab's kubelet hands the plugin on a node (what install-cni writes). */
export function cniConfig(nodeDir: string): Record<string, unknown> {
  return {
    cniVersion: '1.1.0',
    name: 'meridian',
    type: 'meridian-cni',
    nodeFile: join(nodeDir, 'node.json'),
    // One usePodCidr range set stands for every podCIDR of the node: dual-stack nodes, dual-stack pods.
    ipam: { ranges: [[{ subnet: 'usePodCidr' }]], dataDir: join(nodeDir, 'ipam') },
  };
}

/** Start the pod server in `podNetns` and wait until its control socket accepts. */
export async function startPodServer(podNetns: string, socket: string, ports: readonly number[], log: string): Promise<DaemonRef> {
  const ref = startDaemon([process.execPath, distFile('meridian-lab-pod.cjs'), socket, ports.join(',')], { netns: podNetns, log });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const c = await ProbeClient.connect(socket).catch(() => undefined);
    if (c !== undefined) {
      c.close();
      return ref;
    }
    if (!daemonAlive(ref) || Date.now() > deadline) {
      await stopDaemon(ref);
      throw new Error(`pod server in ${podNetns} did not come up; see ${log}`);
    }
    await sleep(20);
  }
}

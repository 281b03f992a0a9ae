// Test pods serve and probe with the lab's own pod server (dist/meridian-lab-pod.cjs, built by
// `npm test` before the tests run) and its probe client: one process per pod namespace, started
// and kept by the test world.

import { resolve } from 'node:path';
import type { ProbeRequest, ProbeResult } from '../../src/lab/pod-server.js';
import { ProbeClient } from '../../src/lab/probe-client.js';
import type { Netns, World } from './netns.js';
import { waitFor } from './wait.js';

export type { ProbeProtocol, ProbeRequest, ProbeResult } from '../../src/lab/pod-server.js';
export { DEFAULT_PROBE_TIMEOUT_MS } from '../../src/lab/pod-server.js';

const POD_SERVER = resolve(import.meta.dirname, '../../dist/meridian-lab-pod.cjs');

export class PodProber {
  private constructor(private readonly client: ProbeClient) {}

  /** Start the pod server in `ns` serving `ports`, and connect to it once it listens. */
  static async start(world: World, ns: Netns, opts: { socket: string; ports?: readonly number[] }): Promise<PodProber> {
    const proc = world.spawn(ns, [process.execPath, POD_SERVER, opts.socket, (opts.ports ?? [80, 81]).join(',')]);
    await waitFor(() => proc.output().stdout.includes('ready') || (proc.done() ? Promise.reject(new Error(`pod server exited: ${proc.output().stderr}`)) : false), {
      timeoutMs: 10_000,
      what: `pod server in ${ns.name}`,
    });
    return new PodProber(await ProbeClient.connect(opts.socket));
  }

  probe(req: ProbeRequest): Promise<ProbeResult> {
    return this.client.probe(req);
  }

  close(): void {
    this.client.close();
  }
}

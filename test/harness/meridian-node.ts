// Our own speaker as a real process in a namespace: `meridian bgp run` with a generated agent
// config and a files datastore (one Node manifest per node, plus any extra objects). Status comes
// over the unix status socket, the same API `meridian status` reads.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import type { RoutingStatus } from '../../src/agent/routing.js';
import type { RibEntry } from '../../src/agent/rib-view.js';
import type { Netns, Proc, World } from './netns.js';
import { waitFor } from './wait.js';

const MERIDIAN = resolve(import.meta.dirname, '../../dist/meridian.js');

export interface MeridianNodeOptions {
  readonly ns: Netns;
  readonly name: string;
  /** InternalIP addresses (one per family). */
  readonly ips: readonly string[];
  readonly podCIDRs: readonly string[];
  /** The rest of the agent config (bgp, routes, clusterCIDRs, ...), merged over the defaults here. */
  readonly config?: Record<string, unknown>;
  /** More objects for the datastore (other Nodes, BGPPeers, a BGPConfiguration). */
  readonly objects?: readonly Record<string, unknown>[];
  /** Share a datastore directory with other nodes (the caller removes it). */
  readonly dir?: string;
  /** Node metadata besides the name: annotations, labels. */
  readonly metadata?: Record<string, unknown>;
  /** Extra environment (e.g. MERIDIAN_LOG_LEVEL). */
  readonly env?: Record<string, string>;
  /** Extra node(1) options before the script, e.g. ["--cpu-prof"] (NODE_OPTIONS does not allow it). */
  readonly nodeArgs?: readonly string[];
}

export interface MeridianNode {
  readonly name: string;
  readonly dir: string;
  /** The CNI node file this agent writes (cni.nodeFile). */
  readonly nodeFile: string;
  /** Its Node manifest in the shared datastore (delete it to remove the Node). */
  readonly manifest: string;
  proc: Proc;
  readonly socket: string;
  status(): Promise<RoutingStatus>;
  /** The Loc-RIB with attributes (GET /rib), of one family or both. */
  rib(family?: 4 | 6): Promise<RibEntry[]>;
  waitEstablished(peer: string, timeoutMs?: number): Promise<void>;
  /** Change this node's podCIDRs (the speaker re-reads the datastore). */
  setPodCIDRs(cidrs: readonly string[]): void;
  /** Start again after kill (same config, same datastore). */
  restart(): Proc;
  logs(): string;
}

export function nodeManifest(name: string, ips: readonly string[], podCIDRs: readonly string[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, ...extra },
    spec: { podCIDR: podCIDRs[0], podCIDRs },
    status: { addresses: ips.map((address) => ({ type: 'InternalIP', address })) },
  };
}

function getJson<T>(socketPath: string, path: string): Promise<T> {
  return new Promise((resolvePromise, reject) => {
    const req = request({ socketPath, path, timeout: 3000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => {
        try {
          resolvePromise(JSON.parse(body) as T);
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** Sessions only (`/peers`: no kernel route list, cheap with many routes). */
export async function getStatus(socketPath: string): Promise<RoutingStatus> {
  return (await getJson<{ bgp: RoutingStatus }>(socketPath, '/peers')).bgp;
}

export function startMeridian(w: World, o: MeridianNodeOptions): MeridianNode {
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'mrd-node-'));
  if (o.dir === undefined) w.onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const objects = join(dir, 'objects');
  mkdirSync(objects, { recursive: true });
  const socket = join(dir, `${o.name}.sock`);
  const configFile = join(dir, `${o.name}.yaml`);
  const writeNode = (cidrs: readonly string[]) => writeFileSync(join(objects, `node-${o.name}.yaml`), stringify(nodeManifest(o.name, o.ips, cidrs, o.metadata)));
  writeNode(o.podCIDRs);
  for (const [i, obj] of (o.objects ?? []).entries()) writeFileSync(join(objects, `extra-${o.name}-${i}.yaml`), stringify(obj));
  const cfg = {
    nodeName: o.name,
    datastore: { type: 'files', path: objects },
    statusSocket: socket,
    // Never the default under /var/lib: tests write only inside their own temp dirs.
    cni: { nodeFile: join(dir, `${o.name}-node.json`) },
    metrics: { listen: '127.0.0.1:9493' },
    logLevel: 'debug',
    ...o.config,
  };
  writeFileSync(configFile, stringify(cfg));
  const spawn = () => w.spawn(o.ns, [process.execPath, ...(o.nodeArgs ?? []), MERIDIAN, 'bgp', 'run', '--config', configFile], { env: { PATH: process.env['PATH'] ?? '', ...o.env } });
  const node: MeridianNode = {
    name: o.name,
    dir,
    nodeFile: join(dir, `${o.name}-node.json`),
    manifest: join(objects, `node-${o.name}.yaml`),
    proc: spawn(),
    socket,
    status: async () => (await getJson<{ bgp: RoutingStatus }>(socket, '/status')).bgp,
    rib: (family) => getJson<RibEntry[]>(socket, family === undefined ? '/rib' : `/rib?family=${family}`),
    async waitEstablished(peer, timeoutMs = 30_000) {
      await waitFor(async () => (await getStatus(socket).catch(() => undefined))?.peers.find((p) => p.address === peer)?.state === 'Established', {
        timeoutMs,
        intervalMs: 100,
        what: `meridian ${o.name} to establish with ${peer}`,
      }).catch((e: unknown) => {
        throw new Error(`${(e as Error).message}\n--- meridian log tail ---\n${node.logs()}`);
      });
    },
    setPodCIDRs: (cidrs) => writeNode(cidrs),
    restart() {
      node.proc = spawn();
      return node.proc;
    },
    logs: () => node.proc.output().stderr.split('\n').slice(-40).join('\n'),
  };
  return node;
}

// A small libcni, for tests: runs a network config list the way containerd/CRI-O drive plugins.
// - each plugin's stdin is its conf with `name` and `cniVersion` injected (libcni buildOneConfig);
// - runtimeConfig = the plugin's `capabilities` that are true, intersected with the capability
//   args of the call, written only when non-empty (injectRuntimeConfig);
// - ADD chains prevResult from plugin to plugin; the final result is cached per attachment and
//   given as prevResult to every plugin on CHECK and DEL;
// - DEL walks the list in reverse; GC (list version >= 1.1.0) first DELs cached attachments not in
//   the valid list, then sends GC with cni.dev/valid-attachments (and cni.dev/attachments).
// Every plugin runs inside the node namespace (`ip netns exec NODE binary`) with only PATH and
// CNI_* in its environment, as under a runtime; CNI_NETNS is the pod namespace's path.

import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

export const REF_PLUGIN_DIR = '/usr/lib/cni';
export const MERIDIAN_CNI = resolve(import.meta.dirname, '../../dist/meridian-cni.cjs');

export interface PluginRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as JSON when it is JSON. */
  readonly json: Record<string, unknown> | undefined;
  readonly ms: number;
}

export interface InvokeOptions {
  /** Named namespace to run in (the "node"). */
  readonly nodeNs: string;
  readonly binary: string;
  readonly env: Readonly<Record<string, string>>;
  readonly stdin: string;
}

/** Exec one plugin binary once; never throws on a non-zero exit. */
export function invokePlugin(opts: InvokeOptions): Promise<PluginRun> {
  const started = performance.now();
  const argv = ['ip', 'netns', 'exec', opts.nodeNs, ...(opts.binary.endsWith('.js') ? [process.execPath, opts.binary] : [opts.binary])];
  return new Promise((res, rej) => {
    const child = spawn(argv[0] as string, argv.slice(1), {
      env: { PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', rej);
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.stdin);
    child.on('close', (code) => {
      let json: Record<string, unknown> | undefined;
      try {
        json = stdout.trim() === '' ? undefined : (JSON.parse(stdout) as Record<string, unknown>);
      } catch {
        json = undefined;
      }
      res({ code: code ?? -1, stdout, stderr, json, ms: performance.now() - started });
    });
  });
}

export interface NetList {
  readonly cniVersion: string;
  readonly name: string;
  readonly plugins: readonly Record<string, unknown>[];
  readonly disableCheck?: boolean;
}

export interface Attach {
  readonly containerId: string;
  readonly netns: string;
  readonly ifname?: string;
  readonly capabilityArgs?: Readonly<Record<string, unknown>>;
  /**
   * K8S_POD_NAMESPACE/K8S_POD_NAME in CNI_ARGS, as kubelet sends them. Default: namespace
   * "default", name = containerId. null: no CNI_ARGS at all (a non-Kubernetes runtime).
   */
  readonly pod?: { readonly namespace: string; readonly name: string } | null;
}

export class CniRuntimeError extends Error {
  constructor(
    readonly verb: string,
    readonly plugin: string,
    readonly run: PluginRun,
  ) {
    super(`${verb} ${plugin} exited ${run.code}: ${run.stdout.trim() || run.stderr.trim()}`);
  }
}

export class CniRuntime {
  private readonly cache = new Map<string, { attach: Attach; result: Record<string, unknown> }>();

  constructor(
    readonly opts: {
      readonly nodeNs: string;
      readonly list: NetList;
      /** type -> binary; default /usr/lib/cni/<type>, and dist/meridian-cni.cjs for meridian-cni. */
      readonly binaries?: Readonly<Record<string, string>>;
    },
  ) {}

  binary(type: string): string {
    return this.opts.binaries?.[type] ?? (type === 'meridian-cni' ? MERIDIAN_CNI : `${REF_PLUGIN_DIR}/${type}`);
  }

  /** The stdin libcni would build for one plugin. */
  request(plugin: Record<string, unknown>, extra: { prevResult?: unknown; capabilityArgs?: Readonly<Record<string, unknown>> }): Record<string, unknown> {
    const conf: Record<string, unknown> = { ...plugin, name: this.opts.list.name, cniVersion: this.opts.list.cniVersion };
    const caps = (plugin['capabilities'] ?? {}) as Record<string, unknown>;
    const rc: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(extra.capabilityArgs ?? {})) if (caps[k] === true) rc[k] = v;
    if (Object.keys(rc).length > 0) conf['runtimeConfig'] = rc;
    if (extra.prevResult !== undefined) conf['prevResult'] = extra.prevResult;
    return conf;
  }

  private env(verb: string, a: Attach | undefined, netns: string | undefined): Record<string, string> {
    return {
      CNI_COMMAND: verb,
      CNI_PATH: REF_PLUGIN_DIR,
      ...(a !== undefined
        ? {
            CNI_CONTAINERID: a.containerId,
            CNI_IFNAME: a.ifname ?? 'eth0',
            ...(a.pod === null
              ? {}
              : {
                  CNI_ARGS: [
                    'IgnoreUnknown=1',
                    `K8S_POD_NAMESPACE=${a.pod?.namespace ?? 'default'}`,
                    `K8S_POD_NAME=${a.pod?.name ?? a.containerId}`,
                    `K8S_POD_INFRA_CONTAINER_ID=${a.containerId}`,
                  ].join(';'),
                }),
          }
        : {}),
      ...(netns !== undefined ? { CNI_NETNS: netns } : {}),
    };
  }

  async run(verb: string, plugin: Record<string, unknown>, env: Record<string, string>, stdin: Record<string, unknown>): Promise<PluginRun> {
    return invokePlugin({ nodeNs: this.opts.nodeNs, binary: this.binary(String(plugin['type'])), env, stdin: JSON.stringify(stdin) });
  }

  private key(a: Attach): string {
    return `${a.containerId}/${a.ifname ?? 'eth0'}`;
  }

  cached(a: Attach): Record<string, unknown> | undefined {
    return this.cache.get(this.key(a))?.result;
  }

  async add(a: Attach): Promise<Record<string, unknown>> {
    let prev: unknown;
    for (const p of this.opts.list.plugins) {
      const r = await this.run('ADD', p, this.env('ADD', a, a.netns), this.request(p, { prevResult: prev, capabilityArgs: a.capabilityArgs }));
      if (r.code !== 0 || r.json === undefined) throw new CniRuntimeError('ADD', String(p['type']), r);
      prev = r.json;
    }
    const result = prev as Record<string, unknown>;
    this.cache.set(this.key(a), { attach: a, result });
    return result;
  }

  /** CHECK every plugin, or only those of `types` (to leave out a plugin with a broken CHECK). */
  async check(a: Attach, opts: { types?: readonly string[] } = {}): Promise<void> {
    const prevResult = this.cached(a);
    for (const p of this.opts.list.plugins) {
      if (opts.types !== undefined && !opts.types.includes(String(p['type']))) continue;
      const r = await this.run('CHECK', p, this.env('CHECK', a, a.netns), this.request(p, { prevResult, capabilityArgs: a.capabilityArgs }));
      if (r.code !== 0) throw new CniRuntimeError('CHECK', String(p['type']), r);
    }
  }

  /** DEL in reverse order; `netns: undefined` models a runtime whose sandbox is already gone. */
  async del(a: Attach, opts: { netns?: string | undefined } = { netns: a.netns }): Promise<void> {
    const prevResult = this.cached(a);
    for (const p of [...this.opts.list.plugins].reverse()) {
      const r = await this.run('DEL', p, this.env('DEL', a, opts.netns), this.request(p, { prevResult, capabilityArgs: a.capabilityArgs }));
      if (r.code !== 0) throw new CniRuntimeError('DEL', String(p['type']), r);
    }
    this.cache.delete(this.key(a));
  }

  async gc(valid: readonly Attach[]): Promise<void> {
    const keep = new Set(valid.map((v) => this.key(v)));
    for (const { attach } of [...this.cache.values()]) if (!keep.has(this.key(attach))) await this.del(attach);
    const list = valid.map((v) => ({ containerID: v.containerId, ifname: v.ifname ?? 'eth0' }));
    for (const p of this.opts.list.plugins) {
      const r = await this.run('GC', p, this.env('GC', undefined, undefined), {
        ...this.request(p, {}),
        'cni.dev/valid-attachments': list,
        'cni.dev/attachments': list,
      });
      if (r.code !== 0) throw new CniRuntimeError('GC', String(p['type']), r);
    }
  }

  async status(): Promise<PluginRun[]> {
    const out: PluginRun[] = [];
    for (const p of this.opts.list.plugins) out.push(await this.run('STATUS', p, this.env('STATUS', undefined, undefined), this.request(p, {})));
    return out;
  }
}

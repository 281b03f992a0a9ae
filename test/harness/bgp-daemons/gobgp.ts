// GoBGP in a network namespace: gobgpd in the foreground with its gRPC API on a unix socket in the
// state dir (`gobgp --target unix://DIR/gobgp.sock`, so the CLI need not enter the namespace).
//
// Quirks handled here:
// - `--pprof-disable`: otherwise every gobgpd binds localhost:6060 in its namespace.
// - GoBGP has no FIB of its own (it would need zebra); `kernel` is ignored.
// - `gobgp global rib add` takes ~15-20 ms per prefix and gobgpd applies them one by one, so more
//   than a handful of prefixes go in as one MRT file (`gobgp mrt inject global`), padded against
//   the CLI's lost tail (gobgp-mrt.ts); anything still missing from the RIB is added one by one.

import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { execRunner } from '../../../src/net/exec.js';
import type { World } from '../netns.js';
import { stopProc, type Proc } from '../procs.js';
import { validateOptions } from '../../../src/lab/routers/common.js';
import { checkAnnounce, createStateDir, mapLimit, removeStateDir, removeWithWorld, waitEstablishedVia, waitReady } from './common.js';
import { gobgpAddArgs, gobgpDelArgs, renderGobgpConfig } from '../../../src/lab/routers/gobgp-config.js';
import { renderMrt } from './gobgp-mrt.js';
import { waitFor } from '../wait.js';
import { parseGobgpNeighbors, parseGobgpRib } from '../../../src/lab/routers/gobgp-parse.js';
import type { AnnounceOptions, BgpDaemon, RestartOptions, DaemonOptions, DaemonRoute, DaemonSession, Family } from './types.js';

const CLI_PARALLEL = 4;
/** Above this many prefixes, inject an MRT file / delete all instead of one CLI call per prefix. */
const CLI_MAX = 16;
/** Copies of the last entry that absorb the MRT injection's lost tail (see gobgp-mrt.ts). */
const MRT_PAD = 2000;

class GobgpDaemon implements BgpDaemon {
  readonly kind = 'gobgp' as const;
  private proc: Proc | undefined;
  private readonly sock: string;
  /** prefix -> attribute key of what we originate now. */
  private announced = new Map<string, string>();
  private lastAttrs: AnnounceOptions = {};

  constructor(
    private readonly world: World,
    private readonly opts: DaemonOptions,
    readonly dir: string,
    private readonly owned: boolean,
  ) {
    this.sock = `${dir}/gobgp.sock`;
  }

  private log(): string {
    const out = this.proc?.output();
    return out === undefined ? '' : `--- gobgpd output ---\n${(out.stdout + out.stderr).slice(-4000)}`;
  }

  async cli(args: readonly string[]): Promise<string> {
    return (await execRunner({ argv: ['gobgp', '--target', `unix://${this.sock}`, ...args] })).stdout;
  }

  async start(): Promise<void> {
    const conf = `${this.dir}/gobgpd.toml`;
    writeFileSync(conf, renderGobgpConfig(this.opts));
    if (existsSync(this.sock)) rmSync(this.sock);
    this.proc = this.world.spawn(this.opts.ns, ['gobgpd', '-f', conf, '-t', 'toml', '--api-hosts', `unix://${this.sock}`, '--pprof-disable', '--log-plain', '-l', 'info']);
    await waitReady(
      [this.proc],
      async () => {
        await this.cli(['global']);
        return true;
      },
      'gobgpd to answer on its API socket',
      () => this.log(),
    );
  }

  async sessions(): Promise<DaemonSession[]> {
    return parseGobgpNeighbors(await this.cli(['neighbor', '-j']));
  }

  async routes(family: Family = 4): Promise<DaemonRoute[]> {
    return parseGobgpRib(await this.cli(['global', 'rib', '-a', `ipv${family}`, '-j']));
  }

  async announce(prefixes: readonly string[], a: AnnounceOptions = {}): Promise<void> {
    const byFam = checkAnnounce(this.opts, prefixes, a);
    const key = JSON.stringify({ m: a.med, c: a.communities, n: a.nextHop });
    const wanted = new Set(prefixes);
    const del = [...this.announced.keys()].filter((p) => !wanted.has(p));
    if (del.length > CLI_MAX) {
      // One `del all` per family beats hundreds of CLI calls; what stays is re-added below.
      for (const f of [4, 6] as const) await this.cli(['global', 'rib', '-a', `ipv${f}`, 'del', 'all']);
      this.announced.clear();
    } else {
      await mapLimit(del, CLI_PARALLEL, async (p) => {
        await this.cli(gobgpDelArgs(p));
        this.announced.delete(p);
      });
    }
    for (const f of [4, 6] as const) {
      // Adding a prefix again with other attributes replaces the path (same source, same NLRI).
      const add = byFam[f].filter((p) => this.announced.get(p) !== key);
      if (add.length > CLI_MAX) await this.inject(f, add, a);
      await this.addMissing(f, add, a);
      for (const p of add) this.announced.set(p, key);
    }
    this.lastAttrs = a;
  }

  private async localPrefixes(f: Family): Promise<Set<string>> {
    return new Set((await this.routes(f)).filter((r) => r.from === undefined).map((r) => r.prefix));
  }

  private async inject(f: Family, add: readonly string[], a: AnnounceOptions): Promise<void> {
    const file = `${this.dir}/announce${f}.mrt`;
    writeFileSync(file, renderMrt(this.opts.routerId, add, a, MRT_PAD));
    await this.cli(['mrt', 'inject', 'global', file]);
    // The CLI returns before gobgpd has applied the stream; give it a moment to settle.
    const want = new Set(add);
    await waitFor(
      async () => {
        const have = await this.localPrefixes(f);
        return [...want].every((p) => have.has(p));
      },
      { timeoutMs: 3000, intervalMs: 100, what: 'gobgpd to apply the injected MRT routes' },
    ).catch(() => undefined); // addMissing() adds what is still missing
  }

  /** Add with the CLI whatever is not (yet) in the RIB: small sets, and what an injection lost. */
  private async addMissing(f: Family, add: readonly string[], a: AnnounceOptions): Promise<void> {
    if (add.length === 0) return;
    const have = add.length > CLI_MAX ? await this.localPrefixes(f) : new Set<string>();
    const missing = add.filter((p) => !have.has(p));
    await mapLimit(missing, CLI_PARALLEL, async (p) => {
      await this.cli(gobgpAddArgs(p, a));
    });
  }

  waitEstablished(peer: string, timeoutMs = 20_000): Promise<void> {
    return waitEstablishedVia(this, peer, timeoutMs);
  }

  private async stopProcess(): Promise<void> {
    if (this.proc === undefined || this.proc.done()) return;
    // With graceful restart, die without a Cease NOTIFICATION so GR helpers keep our routes.
    if (this.opts.neighbors.some((n) => n.gracefulRestart === true)) this.proc.kill('SIGKILL');
    await stopProc(this.proc);
  }

  async restart(ro: RestartOptions = {}): Promise<void> {
    await this.stopProcess();
    // gobgpd keeps API-originated routes in memory only; put the same set back (or the new one).
    const prefixes = ro.announce ?? [...this.announced.keys()];
    this.announced = new Map();
    await this.start();
    if (prefixes.length > 0) await this.announce(prefixes, this.lastAttrs);
  }

  signal(sig: NodeJS.Signals): void {
    this.proc?.kill(sig);
  }

  async stop(): Promise<void> {
    await this.stopProcess();
    if (this.owned) removeStateDir(this.dir);
  }
}

export async function startGobgp(world: World, opts: DaemonOptions): Promise<BgpDaemon> {
  validateOptions(opts);
  const { dir, owned } = createStateDir('gobgp', opts.dir);
  removeWithWorld(world, dir, owned);
  const d = new GobgpDaemon(world, opts, dir, owned);
  await d.start();
  return d;
}


// BIRD 2 in a network namespace: `bird -f` (foreground, so the PID we spawn is BIRD's), control
// socket and pid file in the state dir, `birdc -s DIR/bird.ctl` for queries (a unix socket, so
// birdc need not enter the namespace).

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { execRunner } from '../../../src/net/exec.js';
import type { World } from '../netns.js';
import { stopProc, type Proc } from '../procs.js';
import { waitFor } from '../wait.js';
import { birdPeerNames, birdStaticFile, renderBirdConfig, renderBirdStatic } from '../../../src/lab/routers/bird-config.js';
import { parseBirdProtocols, parseBirdRoutes } from '../../../src/lab/routers/bird-parse.js';
import { validateOptions } from '../../../src/lab/routers/common.js';
import { checkAnnounce, createStateDir, removeStateDir, removeWithWorld, waitEstablishedVia, waitReady } from './common.js';
import type { AnnounceOptions, BgpDaemon, RestartOptions, DaemonOptions, DaemonRoute, DaemonSession, Family } from './types.js';

class BirdDaemon implements BgpDaemon {
  readonly kind = 'bird' as const;
  private proc: Proc | undefined;
  private readonly conf: string;
  private readonly ctl: string;
  private readonly peers: Map<string, string>;

  constructor(
    private readonly world: World,
    private readonly opts: DaemonOptions,
    readonly dir: string,
    private readonly owned: boolean,
  ) {
    this.conf = `${dir}/bird.conf`;
    this.ctl = `${dir}/bird.ctl`;
    this.peers = birdPeerNames(opts);
  }

  private log(): string {
    const f = `${this.dir}/bird.log`;
    return existsSync(f) ? `--- ${f} ---\n${readFileSync(f, 'utf8').slice(-4000)}` : '';
  }

  async cli(args: readonly string[]): Promise<string> {
    const r = await execRunner({ argv: ['birdc', '-s', this.ctl, ...args] });
    return r.stdout;
  }

  async start(recovery = false): Promise<void> {
    writeFileSync(this.conf, renderBirdConfig(this.opts, this.dir));
    for (const f of [4, 6] as const) if (!existsSync(birdStaticFile(this.dir, f))) writeFileSync(birdStaticFile(this.dir, f), '');
    // Check first: a config error then reads as BIRD's message, not as "did not come up".
    await execRunner({ argv: ['bird', '-p', '-c', this.conf] });
    // -R after a graceful restart: BIRD comes back in GR recovery (R and F bits in OPEN), so
    // helpers keep our stale routes until our End-of-RIB instead of flushing them at once.
    const r = recovery ? ['-R'] : [];
    this.proc = this.world.spawn(this.opts.ns, ['bird', '-f', ...r, '-c', this.conf, '-s', this.ctl, '-P', `${this.dir}/bird.pid`]);
    await waitReady([this.proc], async () => (await this.cli(['show', 'status'])).includes('Daemon is up'), 'BIRD to come up', () => this.log());
  }

  async sessions(): Promise<DaemonSession[]> {
    return parseBirdProtocols(await this.cli(['show', 'protocols', 'all']));
  }

  async routes(family: Family = 4): Promise<DaemonRoute[]> {
    return parseBirdRoutes(await this.cli(['show', 'route', 'all', 'table', `master${family}`]), this.peers);
  }

  async announce(prefixes: readonly string[], a: AnnounceOptions = {}): Promise<void> {
    const byFam = checkAnnounce(this.opts, prefixes, a);
    for (const f of [4, 6] as const) writeFileSync(birdStaticFile(this.dir, f), renderBirdStatic(byFam[f], a));
    const out = await this.cli(['configure']);
    if (!/Reconfigured|Reconfiguration in progress/.test(out)) throw new Error(`birdc configure: ${out}`);
    const fams: Family[] = this.opts.ipv6 === true ? [4, 6] : [4];
    for (const f of fams) {
      const want = byFam[f].length;
      await waitFor(
        async () => {
          const c = /^(\d+) of /m.exec(await this.cli(['show', 'route', 'protocol', `announce${f}`, 'count']));
          return Number(c?.[1] ?? -1) === want;
        },
        { timeoutMs: 10_000, what: `BIRD's announce${f} to hold ${want} routes` },
      );
    }
  }

  waitEstablished(peer: string, timeoutMs = 20_000): Promise<void> {
    return waitEstablishedVia(this, peer, timeoutMs);
  }

  private async stopProcess(): Promise<void> {
    const p = this.proc;
    if (p === undefined || p.done()) return;
    if (this.graceful) {
      // `graceful restart` shuts the sessions down without a Cease, so GR helpers keep our routes.
      await this.cli(['graceful', 'restart']).catch(() => undefined);
      await Promise.race([p.exited, new Promise((r) => setTimeout(r, 3000))]);
    }
    await stopProc(p);
  }

  private get graceful(): boolean {
    return this.opts.neighbors.some((n) => n.gracefulRestart === true);
  }

  async restart(ro: RestartOptions = {}): Promise<void> {
    await this.stopProcess();
    // The announce files stay in the state dir, so the same routes come back, unless told otherwise.
    if (ro.announce !== undefined) {
      const byFam = checkAnnounce(this.opts, ro.announce, {});
      for (const f of [4, 6] as const) writeFileSync(birdStaticFile(this.dir, f), renderBirdStatic(byFam[f]));
    }
    await this.start(this.graceful);
  }

  signal(sig: NodeJS.Signals): void {
    this.proc?.kill(sig);
  }

  async stop(): Promise<void> {
    await this.stopProcess();
    if (this.owned) removeStateDir(this.dir);
  }
}

export async function startBird(world: World, opts: DaemonOptions): Promise<BgpDaemon> {
  validateOptions(opts);
  const { dir, owned } = createStateDir('bird', opts.dir);
  removeWithWorld(world, dir, owned);
  const d = new BirdDaemon(world, opts, dir, owned);
  await d.start();
  return d;
}

// FRR in a network namespace: bgpd (and zebra with `kernel`) in the foreground, every file in the
// state dir, nothing in /etc/frr or /run/frr.
//
// Quirks handled here:
// - The daemons drop privileges to user `frr`, so the state dir and its files belong to frr and
//   the dir chain must be searchable (createStateDir makes the dir 0755).
// - `--vty_socket DIR` puts bgpd.vty / zebra.vty in DIR; `vtysh --vty_socket DIR -d bgpd` talks to
//   that instance only. `-P 0` disables the TCP vty, so instances do not fight over port 2605.
// - Without zebra, bgpd runs with `-Z`: it treats every next hop as reachable and installs
//   nothing. With zebra, both use `-z DIR/zserv.api`.
// - zebra logs "Disabling MPLS support (no kernel support)" in a namespace; harmless.

import { chownSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { execRunner } from '../../../src/net/exec.js';
import type { World } from '../netns.js';
import { stopProc, type Proc } from '../procs.js';
import { validateOptions } from '../../../src/lab/routers/common.js';
import { checkAnnounce, createStateDir, removeStateDir, removeWithWorld, waitEstablishedVia, waitReady } from './common.js';
import { frrRouteMapName, renderBgpdConfig, renderFrrAnnounce, renderZebraConfig, type FrrAnnounced } from '../../../src/lab/routers/frr-config.js';
import { parseFrrRoutes, parseFrrSummary } from '../../../src/lab/routers/frr-parse.js';
import type { AnnounceOptions, BgpDaemon, RestartOptions, DaemonOptions, DaemonRoute, DaemonSession, Family } from './types.js';

const FRR_BIN = '/usr/lib/frr';

let frrIds: { uid: number; gid: number } | undefined;
async function frrUser(): Promise<{ uid: number; gid: number }> {
  if (frrIds === undefined) {
    const uid = Number((await execRunner({ argv: ['id', '-u', 'frr'] })).stdout.trim());
    const gid = Number((await execRunner({ argv: ['id', '-g', 'frr'] })).stdout.trim());
    frrIds = { uid, gid };
  }
  return frrIds;
}

class FrrDaemon implements BgpDaemon {
  readonly kind = 'frr' as const;
  private bgpd: Proc | undefined;
  private zebra: Proc | undefined;
  private announced: FrrAnnounced = { prefixes: [] };
  private lastAttrs: { key: string; opts: AnnounceOptions } = { key: '{}', opts: {} };
  private seq = 0;

  constructor(
    private readonly world: World,
    private readonly opts: DaemonOptions,
    readonly dir: string,
    private readonly owned: boolean,
  ) {}

  private logs(): string {
    return ['bgpd.log', 'zebra.log']
      .map((f) => `${this.dir}/${f}`)
      .filter((f) => existsSync(f))
      .map((f) => `--- ${f} ---\n${readFileSync(f, 'utf8').slice(-3000)}`)
      .join('\n');
  }

  private async vtysh(args: readonly string[]): Promise<string> {
    return (await execRunner({ argv: ['vtysh', '--vty_socket', this.dir, '-d', 'bgpd', ...args] })).stdout;
  }

  cli(args: readonly string[]): Promise<string> {
    return this.vtysh(['-c', args.join(' ')]);
  }

  private writeOwned(name: string, text: string, ids: { uid: number; gid: number }): string {
    const f = `${this.dir}/${name}`;
    writeFileSync(f, text);
    chownSync(f, ids.uid, ids.gid);
    return f;
  }

  async start(): Promise<void> {
    const ids = await frrUser();
    chownSync(this.dir, ids.uid, ids.gid);
    const host = this.opts.ns.role;
    const common = ['--vty_socket', this.dir, '-P', '0', '-u', 'frr', '-g', 'frr'];
    let zopt = ['-Z'];
    if (this.opts.kernel === true) {
      const zconf = this.writeOwned('zebra.conf', renderZebraConfig(host), ids);
      const zserv = `${this.dir}/zserv.api`;
      // -s: a large netlink receive buffer, so a burst of route changes is not dropped.
      this.zebra = this.world.spawn(this.opts.ns, [`${FRR_BIN}/zebra`, ...common, '-f', zconf, '-i', `${this.dir}/zebra.pid`, '-z', zserv, '--log', `file:${this.dir}/zebra.log`, '-s', '90000000']);
      await waitReady([this.zebra], () => Promise.resolve(existsSync(zserv)), 'zebra to open its zserv socket', () => this.logs());
      zopt = ['-z', zserv];
    }
    const conf = this.writeOwned('bgpd.conf', renderBgpdConfig(this.opts, host), ids);
    const port = String(this.opts.listenPort ?? 179);
    this.bgpd = this.world.spawn(this.opts.ns, [`${FRR_BIN}/bgpd`, ...common, '-f', conf, '-i', `${this.dir}/bgpd.pid`, '-p', port, ...zopt, '--log', `file:${this.dir}/bgpd.log`]);
    const procs = [this.bgpd, ...(this.zebra !== undefined ? [this.zebra] : [])];
    await waitReady(
      procs,
      async () => {
        await this.cli(['show', 'bgp', 'summary', 'json']);
        return true;
      },
      'bgpd to answer on its vty socket',
      () => this.logs(),
    );
  }

  async sessions(): Promise<DaemonSession[]> {
    return parseFrrSummary(await this.cli(['show', 'bgp', 'summary', 'json']));
  }

  async routes(family: Family = 4): Promise<DaemonRoute[]> {
    return parseFrrRoutes(await this.cli(['show', 'bgp', `ipv${family}`, 'unicast', 'json', 'detail']));
  }

  async announce(prefixes: readonly string[], a: AnnounceOptions = {}): Promise<void> {
    checkAnnounce(this.opts, prefixes, a);
    const key = JSON.stringify({ m: a.med, c: a.communities, n: a.nextHop });
    if (key !== this.lastAttrs.key) this.seq++;
    const routeMap = frrRouteMapName(a, this.seq);
    const next: FrrAnnounced = { prefixes: [...new Set(prefixes)], ...(routeMap !== undefined ? { routeMap } : {}) };
    const file = `${this.dir}/announce.vtysh`;
    writeFileSync(file, renderFrrAnnounce(this.opts.asn, this.announced, next, a));
    const out = await this.vtysh(['-f', file]);
    // vtysh -f exits 0 even when a line is rejected; FRR marks errors with "%".
    if (/^%/m.test(out)) throw new Error(`vtysh -f ${file}: ${out}`);
    this.announced = next;
    this.lastAttrs = { key, opts: a };
  }

  waitEstablished(peer: string, timeoutMs = 20_000): Promise<void> {
    return waitEstablishedVia(this, peer, timeoutMs);
  }

  private async stopProcesses(): Promise<void> {
    // bgpd first, so zebra can still withdraw its routes cleanly when it goes.
    if (this.bgpd !== undefined && !this.bgpd.done()) {
      // With graceful restart, die without a Cease NOTIFICATION so GR helpers keep our routes.
      if (this.opts.neighbors.some((n) => n.gracefulRestart === true)) this.bgpd.kill('SIGKILL');
      await stopProc(this.bgpd);
    }
    if (this.zebra !== undefined && !this.zebra.done()) await stopProc(this.zebra);
  }

  async restart(ro: RestartOptions = {}): Promise<void> {
    await this.stopProcesses();
    // bgpd forgets `network` statements given over vtysh; put the same set back (or the new one).
    const prefixes = ro.announce ?? this.announced.prefixes;
    const attrs = this.lastAttrs.opts;
    this.announced = { prefixes: [] };
    this.lastAttrs = { key: '', opts: {} };
    await this.start();
    if (prefixes.length > 0) await this.announce(prefixes, attrs);
  }

  signal(sig: NodeJS.Signals): void {
    this.bgpd?.kill(sig);
    this.zebra?.kill(sig);
  }

  async stop(): Promise<void> {
    await this.stopProcesses();
    if (this.owned) removeStateDir(this.dir);
  }
}

export async function startFrr(world: World, opts: DaemonOptions): Promise<BgpDaemon> {
  validateOptions(opts);
  const { dir, owned } = createStateDir('frr', opts.dir);
  removeWithWorld(world, dir, owned);
  const d = new FrrDaemon(world, opts, dir, owned);
  await d.start();
  return d;
}

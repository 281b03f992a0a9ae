// The routing half of the agent: the BGP speaker configured from the agent config and this node's
// Node object, and the route programmer that mirrors its Loc-RIB into the kernel. Used by
// `meridian bgp run` (standalone, files datastore) and by the full agent.
//
// Restart behaviour (graceful restart, restarting speaker): if routes of our protocol are already
// in the kernel when we start, a previous run left them and they still forward traffic. We then
// announce R and F in OPEN (peers keep our routes), keep the kernel as it is until every peer has
// sent End-of-RIB or the restart time ran out, and only then reconcile: forwarding never stops.

import type { Runner } from '../net/runner.js';
import type { Logger } from '../logging/logger.js';
import { Speaker, type PeerSpec, type PeerStatus } from '../bgp/speaker/speaker.js';
import type { RoutePolicy } from '../bgp/speaker/policy.js';
import type { RoutingPlan } from './routing-plan.js';
import { sysctlExists, sysctlSet } from '../net/sysctl.js';
import { applyNat } from '../routes/nat-apply.js';
import { applyTtlRules } from '../routes/ttl-apply.js';
import { desiredRoute, desiredRoutes } from '../routes/desired.js';
import type { LocRibChange } from '../bgp/rib/rib.js';
import type { RouteAttrs } from '../bgp/speaker/route-rules.js';
import { NextHopResolver } from './next-hops.js';
import type { DesiredRoute } from '../routes/plan.js';
import { RouteProgrammer } from '../routes/programmer.js';
import type { AgentConfig, PeerConfig } from './config.js';
import type { AgentMetrics } from './metrics.js';
import { ribView, type RibEntry } from './rib-view.js';

function policy(p: PeerConfig['importPolicy']): RoutePolicy | undefined {
  if (p === undefined) return undefined;
  return {
    defaultAction: p.defaultAction,
    rules: p.rules.map((r) => ({
      action: r.action,
      ...(r.match !== undefined ? { match: r.match } : {}),
      ...(r.set !== undefined ? { set: r.set } : {}),
    })),
  };
}

/** Config peers -> speaker peers. Pure. */
export function peerSpecs(cfg: AgentConfig): PeerSpec[] {
  return cfg.bgp.peers.map((p) => {
    const gr = p.gracefulRestart;
    const importPolicy = policy(p.importPolicy);
    const exportPolicy = policy(p.exportPolicy);
    return {
      address: p.address,
      asn: p.asn,
      port: p.port,
      passive: p.passive,
      routeReflectorClient: p.routeReflectorClient,
      holdTime: p.holdTime,
      gracefulRestart: gr === false ? false : { restartTime: gr === true ? cfg.bgp.gracefulRestartTime : gr.restartTime },
      nextHopSelf: p.nextHopSelf,
      ...(p.sourceAddress !== undefined ? { localAddress: p.sourceAddress } : {}),
      ...(p.maxPrefix !== undefined ? { maxPrefix: p.maxPrefix } : {}),
      ...(p.ebgpMultihop !== undefined ? { ebgpMultihop: p.ebgpMultihop } : {}),
      ...(p.ttlSecurity !== undefined ? { ttlSecurityHops: p.ttlSecurity.hops } : {}),
      ...(p.password !== undefined ? { password: p.password } : {}),
      ...(importPolicy !== undefined ? { importPolicy } : {}),
      ...(exportPolicy !== undefined ? { exportPolicy } : {}),
    };
  });
}

const IPV6_FORWARDING = 'net.ipv6.conf.all.forwarding';

export interface RoutingStatus {
  readonly asn: number;
  readonly routerId: string;
  readonly restarting: boolean;
  readonly peers: readonly PeerStatus[];
  readonly originated: readonly string[];
  /** Installed routes, counted (also when `routes` was not asked for). */
  readonly routeCount: number;
  readonly routes: readonly DesiredRoute[];
}

export class Routing {
  private readonly cfg: AgentConfig;
  private readonly log: Logger;
  private readonly run: Runner;
  private readonly netns: string | undefined;
  private speaker: Speaker | undefined;
  private programmer: RouteProgrammer | undefined;
  private plan: RoutingPlan | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private restarting = false;
  /** BGP next hop -> kernel next hop; cleared when the plan changes or programming fails. */
  private readonly nextHops: NextHopResolver;
  private readonly metrics: AgentMetrics | undefined;
  /** Whether the node's kernel has IPv6 (net.ipv6 sysctls); found out at start. */
  private ipv6 = true;

  constructor(cfg: AgentConfig, deps: { run: Runner; log: Logger; netns?: string; metrics?: AgentMetrics }) {
    this.cfg = cfg;
    this.log = deps.log;
    this.run = deps.run;
    this.netns = deps.netns;
    this.metrics = deps.metrics;
    this.nextHops = new NextHopResolver({
      run: deps.run,
      netns: deps.netns,
      onResolved: (nh, r) => this.log.info({ nextHop: nh, resolved: r }, 'BGP next hop is not on a connected subnet: resolved through the kernel route to it'),
    });
  }

  /** Start the speaker and the programmer with a first plan. */
  async start(plan: RoutingPlan): Promise<{ port: number }> {
    this.plan = plan;
    const programmer = new RouteProgrammer({
      run: this.run,
      netns: this.netns,
      protocol: this.cfg.routes.protocol,
      table: this.cfg.routes.table,
      metric: this.cfg.routes.metric,
      onApplied: (ops, ms) => {
        this.log.info({ ops: ops.length, ms: Math.round(ms * 10) / 10 }, 'kernel routes reconciled');
        this.metrics?.routeSyncs.inc({ result: 'ok' });
        this.metrics?.routeSyncSeconds.observe(ms / 1000);
        for (const op of ops) this.metrics?.routeOps.inc({ op: op.type });
      },
      onError: (e) => {
        // A refused route may be a stale next-hop resolution (the route to it changed).
        this.nextHops.clear();
        this.log.error({ err: e }, 'route programming failed; will retry on the next change');
        this.metrics?.routeSyncs.inc({ result: 'error' });
        this.metrics?.errors.inc({ component: 'routes' });
      },
    });
    this.programmer = programmer;
    await this.setSysctls(plan);
    await this.applyNat(plan);
    await this.applyTtl(plan);
    await this.nextHops.refreshConnected();
    // Routes of our protocol already in the kernel: a previous run's, still forwarding.
    this.restarting = (await programmer.observe()).length > 0;
    if (this.restarting) programmer.hold();
    const port = await this.startSpeaker(plan);
    if (this.restarting) {
      this.log.info({ seconds: this.cfg.bgp.gracefulRestartTime }, 'restarting with routes in the kernel: keeping them until peers resync');
      this.restartTimer = setTimeout(() => this.endRestart('restart time elapsed'), this.cfg.bgp.gracefulRestartTime * 1000);
      this.restartTimer.unref();
      if (plan.peers.length === 0) this.endRestart('no peers');
    } else {
      this.program();
    }
    return { port };
  }

  /**
   * The dataplane's sysctls, in this node's namespace only (the agent runs in the host's). A node
   * booted with ipv6.disable=1 has no net.ipv6 keys: fine while it has no IPv6 podCIDR (nothing
   * to forward), a configuration error when it has one.
   */
  private async setSysctls(plan: RoutingPlan): Promise<void> {
    const values: Record<string, number> = { 'net.ipv4.ip_forward': 1 };
    this.ipv6 = await sysctlExists(this.run, IPV6_FORWARDING, { netns: this.netns });
    if (this.ipv6) {
      values[IPV6_FORWARDING] = 1;
    } else {
      const problem = this.ipv6Problem(plan);
      if (problem !== undefined) throw new Error(problem);
      this.log.info({}, `IPv6 is disabled in this node's kernel (no ${IPV6_FORWARDING}) and it has no IPv6 podCIDR: IPv6 forwarding left alone`);
    }
    await sysctlSet(this.run, values, { netns: this.netns });
  }

  /** The address families whose netfilter tables exist here (ip6tables fails without IPv6). */
  private families(): readonly (4 | 6)[] {
    return this.ipv6 ? [4, 6] : [4];
  }

  /** Why this plan cannot work on a kernel without IPv6, if it cannot. */
  private ipv6Problem(plan: RoutingPlan): string | undefined {
    const v6Pods = plan.blackholes.filter((c) => c.includes(':'));
    if (this.ipv6 || v6Pods.length === 0) return undefined;
    return `node ${this.cfg.nodeName} has IPv6 podCIDRs (${v6Pods.join(', ')}) but IPv6 is disabled in its kernel (no ${IPV6_FORWARDING}; booted with ipv6.disable=1?): enable IPv6 or remove the IPv6 podCIDRs`;
  }

  private async startSpeaker(plan: RoutingPlan): Promise<number> {
    const speaker = new Speaker(
      {
        asn: plan.asn,
        routerId: plan.routerId,
        ...(plan.clusterId !== undefined ? { clusterId: plan.clusterId } : {}),
        listenAddress: this.cfg.bgp.listenAddress,
        listenPort: plan.listenPort,
        restarting: this.restarting,
      },
      { log: (level, msg, extra) => this.log[level](extra ?? {}, msg) },
    );
    this.speaker = speaker;
    speaker.onRoutes((_afi, changes) => this.routesChanged(changes));
    speaker.onSyncChange(() => {
      if (this.restarting && speaker.synced()) this.endRestart('every peer sent End-of-RIB');
    });
    const port = await speaker.start();
    speaker.setPeers(plan.peers);
    speaker.setOriginated(plan.originate);
    return port;
  }

  /**
   * A new plan (cluster objects changed): peers and originated routes follow it. On failure the
   * previous plan stays the one in force, so the same plan given again is worked again (an
   * identity change whose new port was busy restarts the speaker on the retry).
   */
  async update(plan: RoutingPlan): Promise<void> {
    const old = this.plan;
    this.plan = plan;
    try {
      await this.applyUpdate(old, plan);
    } catch (e) {
      this.plan = old;
      throw e;
    }
  }

  private async applyUpdate(old: RoutingPlan | undefined, plan: RoutingPlan): Promise<void> {
    for (const p of plan.problems) this.log.warn({ problem: p }, 'routing configuration problem');
    // The Node gained an IPv6 podCIDR after start: IPv4 keeps working, so say it, do not stop.
    const v6 = this.ipv6Problem(plan);
    if (v6 !== undefined && (old === undefined || this.ipv6Problem(old) !== v6)) this.log.error({ problem: v6 }, 'IPv6 podCIDR on a node without IPv6');
    if (old !== undefined && (old.asn !== plan.asn || old.routerId !== plan.routerId || old.listenPort !== plan.listenPort || old.clusterId !== plan.clusterId)) {
      // Identity changed: sessions must be re-established with new OPENs. Forwarding state stays.
      // Handled as a graceful restart, so the kernel keeps forwarding on the routes it has until
      // the peers resync.
      this.log.warn({ asn: plan.asn, routerId: plan.routerId }, 'BGP identity changed: restarting the speaker');
      this.programmer?.hold();
      this.restarting = true;
      await this.speaker?.stop({ graceful: true });
      await this.startSpeaker(plan);
      if (this.restartTimer !== undefined) clearTimeout(this.restartTimer);
      this.restartTimer = setTimeout(() => this.endRestart('restart time elapsed'), this.cfg.bgp.gracefulRestartTime * 1000);
      this.restartTimer.unref();
    } else {
      this.speaker?.setPeers(plan.peers);
      this.speaker?.setOriginated(plan.originate);
    }
    if (old === undefined || JSON.stringify([old.blackholes, old.podRanges]) !== JSON.stringify([plan.blackholes, plan.podRanges])) await this.applyNat(plan);
    await this.applyTtl(plan);
    // New peers or addresses may change how next hops resolve.
    this.nextHops.clear();
    this.program();
  }

  private async applyTtl(plan: RoutingPlan): Promise<void> {
    const peers = plan.peers.map((p) => ({
      address: p.address,
      port: p.port ?? 179,
      ebgp: p.asn !== plan.asn,
      ebgpMultihop: p.ebgpMultihop,
      ttlSecurityHops: p.ttlSecurityHops,
    }));
    try {
      await applyTtlRules(this.run, peers, plan.listenPort, { netns: this.netns, families: this.families() });
    } catch (e) {
      this.log.error({ err: e }, 'BGP TTL rules could not be applied');
      this.metrics?.errors.inc({ component: 'bgp-ttl' });
    }
  }

  private async applyNat(plan: RoutingPlan): Promise<void> {
    const n = this.cfg.natOutgoing;
    try {
      await applyNat(this.run, { enabled: n.enabled, podCidrs: plan.blackholes, nonMasquerade: [...plan.podRanges, ...n.nonMasqueradeCIDRs] }, { netns: this.netns, families: this.families() });
    } catch (e) {
      this.log.error({ err: e }, 'outbound NAT rules could not be applied');
      this.metrics?.errors.inc({ component: 'nat' });
    }
  }

  private endRestart(why: string): void {
    if (!this.restarting) return;
    this.restarting = false;
    if (this.restartTimer !== undefined) clearTimeout(this.restartTimer);
    this.log.info({ why }, 'graceful restart done: reconciling kernel routes');
    this.program();
    this.programmer?.release();
  }

  /**
   * Loc-RIB changes: just the changed destinations go to the programmer, unless a next hop is new
   * (it must be resolved first) or a full recompute is pending anyway.
   */
  private routesChanged(changes: readonly LocRibChange<RouteAttrs>[]): void {
    const p = this.programmer;
    const plan = this.plan;
    if (p === undefined || plan === undefined) return;
    const unresolved = changes.some((c) => c.now?.multipath.some((x) => x.attrs.nextHop !== '' && !this.nextHops.known(x.attrs.nextHop)) === true);
    if (p.fullSyncPending || unresolved) {
      this.program();
      return;
    }
    const own = new Set(plan.blackholes);
    p.updateDesired(changes.filter((c) => !own.has(c.prefix)).map((c) => [c.prefix, desiredRoute(c.now, this.nextHops.map)] as const));
  }

  /** Something changed: the programmer recomputes the desired routes when it next reconciles. */
  private program(): void {
    if (this.speaker === undefined || this.programmer === undefined || this.plan === undefined) return;
    this.programmer.setDesired(() => this.desired());
  }

  /** Desired kernel routes from the Loc-RIB now, with every next hop resolved first (next-hop.ts). */
  private async desired(): Promise<readonly DesiredRoute[]> {
    const s = this.speaker;
    const plan = this.plan;
    if (s === undefined || plan === undefined) return [];
    const nhs: string[] = [];
    for (const afi of [1, 2]) for (const b of s.locRib(afi)) for (const p of b.multipath) nhs.push(p.attrs.nextHop);
    await this.nextHops.resolveAll(nhs.filter((nh) => nh !== ''));
    return desiredRoutes({ locRib: [...s.locRib(1), ...s.locRib(2)], blackholes: plan.blackholes, nextHops: this.nextHops.map });
  }

  /**
   * Sessions, originated prefixes and (unless `routes: false`) the installed routes. Listing 100k
   * routes sorts and copies them all, so what is polled often (readiness, metrics, `/peers`) asks
   * for the rest only; `routeCount` is there either way.
   */
  status(opts: { routes?: boolean } = {}): RoutingStatus {
    return {
      asn: this.plan?.asn ?? this.cfg.bgp.asn,
      routerId: this.plan?.routerId ?? '',
      restarting: this.restarting,
      peers: this.speaker?.status() ?? [],
      originated: this.plan?.originate ?? [],
      routeCount: this.programmer?.installedCount ?? 0,
      routes: opts.routes === false ? [] : (this.programmer?.installed ?? []),
    };
  }

  /** The Loc-RIB (of one family, or both) with the best paths' attributes. */
  rib(family?: 4 | 6): RibEntry[] {
    const s = this.speaker;
    if (s === undefined) return [];
    return ribView(family === undefined ? [...s.locRib(1), ...s.locRib(2)] : s.locRib(family === 4 ? 1 : 2));
  }

  async settle(): Promise<void> {
    await this.programmer?.settle();
  }

  /**
   * Stop. `graceful` (SIGTERM): drop sessions without NOTIFICATION and leave kernel routes in
   * place, so peers and the kernel keep forwarding while we restart.
   */
  async stop(opts: { graceful: boolean }): Promise<void> {
    if (this.restartTimer !== undefined) clearTimeout(this.restartTimer);
    this.programmer?.stop();
    await this.speaker?.stop({ graceful: opts.graceful });
  }
}

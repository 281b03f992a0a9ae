// The node agent: datastore -> one consistent view -> routing and policy, plus the CNI node file.
//
//   datastore (k8s informers | files) --events--> ClusterView (gated, debounced snapshots)
//       --snapshot--> planRouting -> Routing.start/update        (BGP, kernel routes, NAT)
//                     modelFromObjects -> PolicySyncer.update     (ipsets, iptables)
//                     this Node's podCIDRs -> CNI node file
//   BGPPeers' passwordSecretRef -> Secrets (GET, own namespace) -> planRouting   (peer-secrets.ts)
//
// Invariants:
// - No kernel change before the first complete view (every kind listed once): see view.ts.
// - Snapshots are processed one at a time, latest wins: a slow route update never interleaves
//   with the next, and intermediate views that were superseded are skipped.
// - Fail static: when the datastore is unreachable no snapshot comes, so routes, BGP sessions and
//   policy rules stay as they are; an unusable object is skipped (reported in status and logs)
//   and everything else keeps being applied.
// - stop({graceful: true}) (SIGTERM) leaves forwarding state and policy rules in place: a
//   restarting agent must not open a window where pods are unreachable or unprotected.

import type { AgentConfig } from './config.js';
import type { Logger } from '../logging/logger.js';
import type { Runner } from '../net/runner.js';
import type { Datastore, DatastoreEvent, DatastoreStatus } from '../k8s/datastore.js';
import { WATCHED_KINDS } from '../k8s/kinds.js';
import type { Node } from '../k8s/objects.js';
import type { SecretReader } from '../k8s/secrets.js';
import { IncrementalCompiler } from '../policy/incremental.js';
import { modelFromObjects, type PolicyModel } from '../policy/model.js';
import { isEmptyPlan } from '../policy/plan.js';
import { PolicySyncer, type SyncerStatus } from '../policy/syncer.js';
import { applyPlan, observePolicy } from '../policy/writer.js';
import { publishNodeFile, type NodeFileContent } from './node-file.js';
import type { AgentMetrics } from './metrics.js';
import { passwordSecretNames, type SecretState } from './peer-passwords.js';
import { PeerSecrets } from './peer-secrets.js';
import { Routing, type RoutingStatus } from './routing.js';
import { planRouting, viewFromObjects, type ClusterView as RoutingView, type RoutingPlan } from './routing-plan.js';
import { ClusterView, type ClusterSnapshot, type Timer, type ViewStatus } from './view.js';

export interface AgentDeps {
  readonly cfg: AgentConfig;
  readonly datastore: Datastore;
  readonly run: Runner;
  readonly log: Logger;
  readonly metrics: AgentMetrics;
  /** Network namespace for kernel changes (tests); the agent itself runs in the host's. */
  readonly netns?: string;
  readonly debounceMs?: number;
  readonly maxDelayMs?: number;
  readonly policyResyncMs?: number;
  /** First delay before a view that failed to apply is retried (doubling to 30 s). */
  readonly retryMinMs?: number;
  /** Where BGPPeer password Secrets are read (in cfg.namespace); without it such peers are skipped. */
  readonly secrets?: SecretReader;
  readonly secretRefreshMs?: number;
}

export interface Readiness {
  readonly ready: boolean;
  readonly why?: string;
}

export interface AgentStatus {
  readonly node: string;
  readonly readiness: Readiness;
  readonly datastore: DatastoreStatus & { readonly view: ViewStatus };
  readonly bgp: RoutingStatus | undefined;
  readonly routing: { readonly started: boolean; readonly problems: readonly string[] };
  readonly policy: {
    readonly enabled: boolean;
    readonly syncs: number;
    readonly repairs: number;
    readonly failures: number;
    readonly lastError?: string;
    readonly last?: { readonly kind: string; readonly at: number; readonly durationMs: number; readonly repaired: boolean };
    readonly endpoints?: number;
  };
  /**
   * The newest view this agent has fully acted on: routing planned and updated, and (with policy
   * enabled) its policy applied to the kernel. `digest` is viewDigest() of its objects, so a tool
   * that wrote objects knows when every agent has them in force.
   */
  readonly applied?: { readonly version: number; readonly digest: string };
}

/** Backoff for retrying a view that failed to apply. */
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30_000;

const timer = (ms: number, fn: () => void): Timer => {
  const t = setTimeout(fn, ms);
  return { cancel: () => clearTimeout(t) };
};

export class Agent {
  private readonly d: AgentDeps;
  private readonly view: ClusterView;
  private readonly routing: Routing;
  private readonly syncer: PolicySyncer | undefined;
  private plan: RoutingPlan | undefined;
  private routingStarted = false;
  private routingProblems: string[] = [];
  private pending: ClusterSnapshot | undefined;
  private processing: Promise<void> | undefined;
  private reported = new Set<string>();
  private endpoints: number | undefined;
  private stopped = false;
  private syncerStarted = false;
  /** Views by the policy model built from them, to map the syncer's applied model back. */
  private readonly modelViews = new WeakMap<PolicyModel, { version: number; digest: string }>();
  private routingApplied: { version: number; digest: string } | undefined;
  private retry: Timer | undefined;
  private nodeFile: NodeFileContent | undefined;
  private nodeFileWrites: Promise<void> = Promise.resolve();
  private nodeFilePublished = false;
  private retryMs: number;
  private readonly peerSecrets: PeerSecrets | undefined;
  /** The BGPPeers of the last plan (as JSON), to re-read their Secrets when they change. */
  private lastBgpPeers = '';
  private lastSnapshot: ClusterSnapshot | undefined;

  constructor(d: AgentDeps) {
    this.d = d;
    this.retryMs = d.retryMinMs ?? RETRY_MIN_MS;
    this.view = new ClusterView({
      kinds: WATCHED_KINDS,
      ...(d.debounceMs !== undefined ? { debounceMs: d.debounceMs } : {}),
      ...(d.maxDelayMs !== undefined ? { maxDelayMs: d.maxDelayMs } : {}),
      now: () => performance.now(),
      setTimer: timer,
      onView: (s) => this.enqueue(s),
    });
    this.routing = new Routing(d.cfg, { run: d.run, log: d.log.child({ component: 'routing' }), metrics: d.metrics, ...(d.netns !== undefined ? { netns: d.netns } : {}) });
    this.syncer = d.cfg.policy.enabled ? this.makeSyncer() : undefined;
    this.peerSecrets =
      d.secrets === undefined
        ? undefined
        : new PeerSecrets({
            reader: d.secrets,
            namespace: d.cfg.namespace,
            ...(d.secretRefreshMs !== undefined ? { refreshMs: d.secretRefreshMs } : {}),
            setTimer: timer,
            // The same view again, planned with the new passwords (the speaker resets those sessions).
            onChange: () => {
              if (this.lastSnapshot !== undefined && this.pending === undefined) this.enqueue(this.lastSnapshot);
            },
            onError: (name, e) =>
              d.log.warn({ secret: `${d.cfg.namespace}/${name}`, err: e instanceof Error ? e.message : String(e) }, 'BGP password Secret could not be read; keeping the last value read'),
          });
  }

  private makeSyncer(): PolicySyncer {
    const { run, netns, metrics, log } = this.d;
    const opts = { run, ...(netns !== undefined ? { netns } : {}) };
    const counted = <T>(p: Promise<T>): Promise<T> =>
      p.catch((e: unknown) => {
        metrics.policySyncs.inc({ kind: 'any', result: 'error' });
        metrics.errors.inc({ component: 'policy' });
        log.error({ err: e }, 'policy sync failed; retrying with a kernel read-back');
        throw e;
      });
    // Incremental: a pod or label change elsewhere reworks only the sets it touches, and the
    // unchanged chains come back as the same objects, so plan-delta skips them without a look.
    const compiler = new IncrementalCompiler({ node: this.d.cfg.nodeName });
    const syncer = new PolicySyncer({
      compile: (m) => {
        const c = compiler.compile(m);
        this.endpoints = c.endpoints.length;
        return c;
      },
      observe: () => counted(observePolicy(opts)),
      apply: (plan) => counted(applyPlan(plan, opts)),
      now: () => performance.now(),
      setTimer: timer,
      ...(this.d.policyResyncMs !== undefined ? { resyncIntervalMs: this.d.policyResyncMs } : {}),
    });
    syncer.onSync((r) => {
      metrics.policySyncs.inc({ kind: r.kind, result: 'ok' });
      metrics.policySyncSeconds.observe({ kind: r.kind }, r.durationMs / 1000);
      if (r.repaired) metrics.policyRepairs.inc();
      if (!isEmptyPlan(r.plan)) log.info({ kind: r.kind, ms: Math.round(r.durationMs * 10) / 10, repaired: r.repaired, endpoints: this.endpoints }, 'policy applied');
      // The node file waits for the first policy apply; after that applyRouting keeps it current.
      if (!this.nodeFilePublished) void this.publishNodeFile();
    });
    return syncer;
  }

  start(): void {
    this.d.log.info({ node: this.d.cfg.nodeName, datastore: this.d.datastore.type }, 'agent starting: waiting for the initial sync of every kind');
    this.d.datastore.start((e) => this.onEvent(e));
  }

  private onEvent(e: DatastoreEvent): void {
    if (this.stopped) return;
    const { metrics, log } = this.d;
    switch (e.type) {
      case 'upsert':
        metrics.datastoreEvents.inc({ kind: e.object.kind, type: e.type });
        if (e.problem !== undefined) log.warn({ kind: e.object.kind, namespace: e.problem.namespace, name: e.problem.name, reason: e.problem.reason }, 'object used in part: what cannot be used is left out, fail closed');
        break;
      case 'delete':
      case 'synced':
        metrics.datastoreEvents.inc({ kind: e.kind, type: e.type });
        if (e.type === 'synced') log.info({ kind: e.kind, waitingFor: this.view.gate().waitingFor.filter((k) => k !== e.kind) }, 'initial sync done for kind');
        break;
      case 'invalid':
        metrics.datastoreEvents.inc({ kind: e.kind, type: e.type });
        log.warn({ kind: e.kind, namespace: e.problem.namespace, name: e.problem.name, reason: e.problem.reason }, 'object skipped: cannot be used');
        break;
      case 'replace':
        metrics.datastoreEvents.inc({ kind: 'all', type: e.type });
        for (const p of e.problems) {
          const id = `${p.source}: ${p.reason}`;
          if (!this.reported.has(id)) log.warn({ source: p.source, kind: p.kind, name: p.name, reason: p.reason }, 'manifest problem: skipped, or used in part (fail closed)');
        }
        this.reported = new Set(e.problems.map((p) => `${p.source}: ${p.reason}`));
        break;
    }
    this.view.handle(e);
  }

  private enqueue(s: ClusterSnapshot): void {
    this.pending = s;
    this.retry?.cancel();
    this.retry = undefined;
    if (this.processing !== undefined) return;
    this.processing = (async () => {
      while (this.pending !== undefined && !this.stopped) {
        const snap = this.pending;
        this.pending = undefined;
        try {
          await this.apply(snap);
          this.retryMs = this.d.retryMinMs ?? RETRY_MIN_MS;
        } catch (e) {
          this.d.metrics.errors.inc({ component: 'agent' });
          if (!this.routingStarted) this.routingProblems = [`BGP could not start: ${e instanceof Error ? e.message : String(e)}`];
          this.d.log.error({ err: e, retryInMs: this.retryMs }, 'applying the cluster view failed; retrying');
          // A quiet cluster sends no new view, so a failed start (a busy BGP port, a kernel error)
          // would otherwise wait for the next object change: retry this view, with backoff,
          // unless a newer one comes first.
          if (this.pending === undefined && !this.stopped) {
            this.retry = timer(this.retryMs, () => this.enqueue(snap));
            this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
          }
        }
      }
    })().finally(() => {
      this.processing = undefined;
    });
  }

  private async apply(s: ClusterSnapshot): Promise<void> {
    this.lastSnapshot = s;
    // Policy first: it never depends on our own Node, and enforcing it is never worth delaying.
    const model = modelFromObjects(s.objects);
    this.modelViews.set(model, { version: s.version, digest: s.digest });
    this.syncer?.update(model);
    if (this.syncer !== undefined && !this.syncerStarted) {
      this.syncerStarted = true;
      this.syncer.start();
    }
    // Only when routing acted on this view: not after a kernel or speaker error (thrown), nor when
    // it could not start (no own Node yet, a plan that cannot be made).
    if (await this.applyRouting(s)) this.routingApplied = { version: s.version, digest: s.digest };
  }

  /** Routing for this view; false when it could not act on it (the reason is in routingProblems). */
  private async applyRouting(s: ClusterSnapshot): Promise<boolean> {
    const { cfg, log } = this.d;
    const me = s.objects.find((o): o is Node => o.kind === 'Node' && o.name === cfg.nodeName);
    if (me === undefined) {
      this.routingProblems = [`Node ${cfg.nodeName} is not in the cluster (yet): BGP not started`];
      log.warn({ node: cfg.nodeName }, 'own Node object not found; routing waits for it');
      return false;
    }
    let plan: RoutingPlan;
    try {
      const view = viewFromObjects(s.objects);
      plan = planRouting(cfg, { ...view, secrets: await this.secretsFor(view) });
    } catch (e) {
      this.routingProblems = [e instanceof Error ? e.message : String(e)];
      log.error({ err: e }, 'cannot plan routing from this view; keeping the previous plan');
      return false;
    }
    this.routingProblems = [...plan.problems];
    // `this.plan` is the plan in force: set only once start or update succeeded, so a failed one
    // is worked again when this view is retried.
    const changed = this.plan === undefined || JSON.stringify(this.plan) !== JSON.stringify(plan);
    if (!this.routingStarted) {
      const { port } = await this.routing.start(plan);
      this.routingStarted = true;
      for (const p of plan.problems) log.warn({ problem: p }, 'routing configuration problem');
      log.info({ port, peers: plan.peers.length, originate: plan.originate }, 'BGP started');
    } else if (changed) {
      await this.routing.update(plan);
    }
    this.plan = plan;
    this.nodeFile = { nodeName: cfg.nodeName, podCIDRs: me.podCIDRs };
    await this.publishNodeFile();
    return true;
  }

  /**
   * The CNI node file, once policy is in the kernel: meridian-cni answers "try again later" until
   * the file exists, and it lives on /run (gone after a reboot), so no pod is wired before this
   * boot's policy rules are in place — after a reboot, iptables and ipsets are empty.
   */
  private publishNodeFile(): Promise<void> {
    // One write at a time, each with the content current when it runs: the last one wins.
    this.nodeFileWrites = this.nodeFileWrites.then(async () => {
      if (this.nodeFile === undefined) return;
      if (this.syncer !== undefined && this.syncer.status().syncs === 0) return;
      this.nodeFilePublished = await publishNodeFile(this.d.cfg.cni.nodeFile, this.nodeFile, this.d.log, () => this.d.metrics.errors.inc({ component: 'cni-node-file' }));
    });
    return this.nodeFileWrites;
  }

  /** The password Secrets the view's BGPPeers name: all read again when the BGPPeers changed. */
  private async secretsFor(view: RoutingView): Promise<ReadonlyMap<string, SecretState>> {
    if (this.peerSecrets === undefined) return new Map();
    const peers = JSON.stringify(view.bgpPeers);
    const reread = peers !== this.lastBgpPeers;
    this.lastBgpPeers = peers;
    return this.peerSecrets.resolve(passwordSecretNames(view.bgpPeers), { reread });
  }

  /** Ready: initial sync done, BGP configured and running, policy applied (when enabled), CNI node file written. */
  readiness(): Readiness {
    const g = this.view.gate();
    if (!g.complete) return { ready: false, why: `waiting for the initial sync of ${g.waitingFor.join(', ')}` };
    if (!this.routingStarted) return { ready: false, why: this.routingProblems[0] ?? 'BGP not configured yet' };
    const r = this.routing.status({ routes: false });
    if (r.restarting) return { ready: false, why: 'graceful restart in progress' };
    if (this.syncer !== undefined) {
      const p = this.syncer.status();
      if (p.syncs === 0) return { ready: false, why: p.lastError !== undefined ? `policy not applied: ${p.lastError}` : 'policy not applied yet' };
    }
    // Ready means pods can be wired: meridian-cni needs the node file.
    if (!this.nodeFilePublished) return { ready: false, why: `CNI node file ${this.d.cfg.cni.nodeFile} not written yet` };
    return { ready: true };
  }

  invalidObjects(): number {
    return this.view.store.problems().length;
  }

  datastoreStatus(): DatastoreStatus {
    return this.d.datastore.status();
  }

  routingStatus(opts: { routes?: boolean } = {}): RoutingStatus | undefined {
    return this.routingStarted ? this.routing.status(opts) : undefined;
  }

  status(): AgentStatus {
    const p: SyncerStatus | undefined = this.syncer?.status();
    return {
      node: this.d.cfg.nodeName,
      readiness: this.readiness(),
      datastore: { ...this.d.datastore.status(), view: this.view.status() },
      bgp: this.routingStatus(),
      routing: { started: this.routingStarted, problems: this.routingProblems },
      policy: {
        enabled: this.syncer !== undefined,
        syncs: p?.syncs ?? 0,
        repairs: p?.repairs ?? 0,
        failures: p?.failures ?? 0,
        ...(p?.lastError !== undefined ? { lastError: p.lastError } : {}),
        ...(p?.last !== undefined ? { last: { kind: p.last.kind, at: p.last.at, durationMs: p.last.durationMs, repaired: p.last.repaired } } : {}),
        ...(this.endpoints !== undefined ? { endpoints: this.endpoints } : {}),
      },
      ...(this.applied() !== undefined ? { applied: this.applied() } : {}),
    };
  }

  /** The older of what routing and policy have applied (see AgentStatus.applied). */
  private applied(): { version: number; digest: string } | undefined {
    const r = this.routingApplied;
    // Not before meridian-cni can wire this node's pods (the node file waits for policy).
    if (!this.nodeFilePublished) return undefined;
    if (this.syncer === undefined || r === undefined) return r;
    const m = this.syncer.appliedModel();
    const p = m !== undefined ? this.modelViews.get(m) : undefined;
    if (p === undefined) return undefined;
    return p.version < r.version ? p : r;
  }

  /** Wait until every delivered snapshot is applied and policy is idle (tests, shutdown). */
  async settle(): Promise<void> {
    this.view.flush();
    while (this.processing !== undefined) await this.processing;
    await this.syncer?.idle();
    await this.routing.settle();
  }

  /**
   * Stop. graceful (SIGTERM): BGP sessions dropped without NOTIFICATION, kernel routes kept (peers
   * with graceful restart keep ours), policy rules kept enforcing until the next agent converges
   * over them. Non-graceful only differs for BGP (NOTIFICATION, peers withdraw our routes).
   */
  async stop(opts: { graceful: boolean }): Promise<void> {
    this.stopped = true;
    this.retry?.cancel();
    this.peerSecrets?.stop();
    await this.d.datastore.stop();
    this.view.stop();
    this.syncer?.stop();
    while (this.processing !== undefined) await this.processing;
    await this.syncer?.idle();
    await this.routing.stop(opts);
  }
}

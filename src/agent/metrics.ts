// Prometheus metrics (prom-client) and the health endpoints, served on `metrics.listen`.
// Gauges about sessions and routes are collected from the running components at scrape time, so
// nothing has to remember to update them; counters and histograms are fed by the components'
// callbacks (route programming, policy sync).

import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DatastoreStatus } from '../k8s/datastore.js';
import type { RoutingStatus } from './routing.js';

const SESSION_STATES = ['Idle', 'Connect', 'Active', 'OpenSent', 'OpenConfirm', 'Established'] as const;

export interface AgentMetrics {
  readonly registry: Registry;
  readonly routeSyncs: Counter<'result'>;
  readonly routeSyncSeconds: Histogram;
  readonly routeOps: Counter<'op'>;
  readonly errors: Counter<'component'>;
  /** Policy syncs by kind (incremental, resync) and result (ok, error). */
  readonly policySyncs: Counter<'kind' | 'result'>;
  readonly policySyncSeconds: Histogram<'kind'>;
  /** Resyncs that found the kernel different from what we applied (drift, tampering). */
  readonly policyRepairs: Counter;
  /** Datastore events by kind and type (upsert, delete, invalid, synced, replace). */
  readonly datastoreEvents: Counter<'kind' | 'type'>;
  /** List/watch failures by kind. */
  readonly datastoreErrors: Counter<'kind'>;
}

export interface MetricSources {
  readonly routing?: () => RoutingStatus | undefined;
  readonly datastore?: () => DatastoreStatus | undefined;
  /** Objects skipped because they could not be used. */
  readonly invalidObjects?: () => number;
}

export function createMetrics(sources: MetricSources): AgentMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'meridian_process_' });
  new Gauge({
    name: 'meridian_bgp_session_state',
    help: 'BGP session state per peer: 1 for the current state, 0 for the others',
    labelNames: ['peer', 'peer_asn', 'state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const p of sources.routing?.()?.peers ?? []) {
        for (const s of SESSION_STATES) this.set({ peer: p.address, peer_asn: String(p.asn), state: s }, p.state === s ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: 'meridian_bgp_session_uptime_seconds',
    help: 'Seconds since the session was established (0 when down)',
    labelNames: ['peer'],
    registers: [registry],
    collect() {
      this.reset();
      for (const p of sources.routing?.()?.peers ?? []) this.set({ peer: p.address }, (p.uptimeMs ?? 0) / 1000);
    },
  });
  new Gauge({
    name: 'meridian_bgp_prefixes',
    help: 'Prefixes per peer: received (accepted into Adj-RIB-In) and advertised',
    labelNames: ['peer', 'direction'],
    registers: [registry],
    collect() {
      this.reset();
      for (const p of sources.routing?.()?.peers ?? []) {
        this.set({ peer: p.address, direction: 'received' }, p.prefixesIn);
        this.set({ peer: p.address, direction: 'advertised' }, p.prefixesOut);
      }
    },
  });
  new Gauge({
    name: 'meridian_routes_installed',
    help: 'Kernel routes of Meridian\'s protocol, as last programmed',
    registers: [registry],
    collect() {
      this.set(sources.routing?.()?.routeCount ?? 0);
    },
  });
  new Gauge({
    name: 'meridian_datastore_synced',
    help: 'Per watched kind: 1 once its first complete listing was delivered',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [kind, k] of Object.entries(sources.datastore?.()?.kinds ?? {})) this.set({ kind }, k.synced ? 1 : 0);
    },
  });
  new Gauge({
    name: 'meridian_datastore_connected',
    help: 'Per watched kind: 1 while its last list or watch succeeded, 0 while the source is unreachable',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [kind, k] of Object.entries(sources.datastore?.()?.kinds ?? {})) this.set({ kind }, k.connected ? 1 : 0);
    },
  });
  new Gauge({
    name: 'meridian_datastore_invalid_objects',
    help: 'Objects skipped, or used in part (a NetworkPolicy, fail-closed), because they could not be used as written (see meridian status)',
    registers: [registry],
    collect() {
      this.set(sources.invalidObjects?.() ?? 0);
    },
  });
  return {
    registry,
    policySyncs: new Counter({ name: 'meridian_policy_syncs_total', help: 'Policy syncs (compile, plan, apply)', labelNames: ['kind', 'result'], registers: [registry] }),
    policySyncSeconds: new Histogram({
      name: 'meridian_policy_sync_duration_seconds',
      help: 'Time to compile, plan and apply NetworkPolicy to the kernel',
      labelNames: ['kind'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [registry],
    }),
    policyRepairs: new Counter({ name: 'meridian_policy_repairs_total', help: 'Resyncs that found and repaired kernel drift', registers: [registry] }),
    datastoreEvents: new Counter({ name: 'meridian_datastore_events_total', help: 'Datastore events', labelNames: ['kind', 'type'], registers: [registry] }),
    datastoreErrors: new Counter({ name: 'meridian_datastore_errors_total', help: 'Datastore list/watch failures', labelNames: ['kind'], registers: [registry] }),
    routeSyncs: new Counter({ name: 'meridian_route_syncs_total', help: 'Kernel route reconciles', labelNames: ['result'], registers: [registry] }),
    routeSyncSeconds: new Histogram({
      name: 'meridian_route_sync_duration_seconds',
      help: 'Time to observe, plan and apply kernel routes',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [registry],
    }),
    routeOps: new Counter({ name: 'meridian_route_ops_total', help: 'Kernel route operations applied', labelNames: ['op'], registers: [registry] }),
    errors: new Counter({ name: 'meridian_errors_total', help: 'Errors by component', labelNames: ['component'], registers: [registry] }),
  };
}

/** HOST:PORT (IPv6 in brackets) -> listen options. */
export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(listen);
  if (m === null) throw new Error(`bad listen address ${listen}`);
  return { host: m[1] ?? m[2] ?? '', port: Number(m[3]) };
}

/** /metrics, /healthz (the process serves) and /readyz (`ready()` says whether it is ready). */
export async function startMetricsServer(listen: string, m: AgentMetrics, ready: () => { ready: boolean; why?: string }): Promise<Server> {
  const { host, port } = parseListen(listen);
  const server = createServer((req, res) => {
    if (req.url === '/metrics') {
      m.registry
        .metrics()
        .then((text) => {
          res.writeHead(200, { 'content-type': m.registry.contentType });
          res.end(text);
        })
        .catch((e: unknown) => {
          res.writeHead(500).end(String(e));
        });
      return;
    }
    if (req.url === '/healthz') {
      res.writeHead(200).end('ok\n');
      return;
    }
    if (req.url === '/readyz') {
      const r = ready();
      res.writeHead(r.ready ? 200 : 503).end(r.ready ? 'ok\n' : `not ready: ${r.why ?? ''}\n`);
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}

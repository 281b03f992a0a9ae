// `meridian bgp run --config FILE`: the BGP speaker and kernel route programming on their own,
// from an agent config with the files datastore: the routing plan (routing-plan.ts) from the
// directory's Nodes, BGPPeers (with their password Secrets), BGPConfiguration and Services — node mesh, explicit peers, this
// node's podCIDRs and `bgp.advertise` — installs what it learns, serves `meridian status`. SIGTERM/SIGINT stop it
// gracefully: sessions dropped without NOTIFICATION and kernel routes left in place, so peers
// with graceful restart and the kernel keep forwarding until the next run resyncs.

import { watch } from 'node:fs';
import type { Command } from 'commander';
import { loadConfigFile } from '../agent/config-file.js';
import { ConfigError } from '../agent/config.js';
import { publishNodeFile } from '../agent/node-file.js';
import { Routing } from '../agent/routing.js';
import { passwordSecretNames } from '../agent/peer-passwords.js';
import { planRouting, viewFromObjects, type RoutingPlan } from '../agent/routing-plan.js';
import type { AgentConfig } from '../agent/config.js';
import type { Logger } from '../logging/logger.js';
import { createMetrics, startMetricsServer } from '../agent/metrics.js';
import { startStatusServer } from '../agent/status-server.js';
import { readManifestDir } from '../k8s/manifests-dir.js';
import { createLogger, resolveLogLevel } from '../logging/logger.js';
import { execRunner } from '../net/exec.js';
import { waitForStopSignal } from './stop-signal.js';

async function readPlan(cfg: AgentConfig, dir: string, log: Logger): Promise<RoutingPlan> {
  const { objects, problems, secrets } = await readManifestDir(dir);
  for (const p of problems) log.warn({ source: p.source, index: p.index, kind: p.kind, name: p.name }, `manifest ${p.used ? 'used in part' : 'skipped'}: ${p.reason}`);
  if (!objects.some((o) => o.kind === 'Node' && o.name === cfg.nodeName)) {
    throw new ConfigError(dir, [{ field: 'nodeName', message: `no Node named ${cfg.nodeName} in ${dir}` }]);
  }
  // BGPPeer passwords: `kind: Secret` manifests of the agent's namespace in the same directory.
  const mine = new Map(secrets.filter((s) => s.namespace === cfg.namespace).map((s) => [s.name, { found: true as const, data: s.data }]));
  const view = viewFromObjects(objects);
  const plan = planRouting(cfg, { ...view, secrets: new Map(passwordSecretNames(view.bgpPeers).map((n) => [n, mine.get(n) ?? { found: false as const, reason: 'not found' }])) });
  for (const p of plan.problems) log.warn({ problem: p }, 'routing configuration problem');
  return plan;
}

export function registerBgpCommand(program: Command): void {
  const bgp = program.command('bgp').description('run the BGP speaker and route programming on their own');
  bgp
    .command('run')
    .description('peer, advertise this node\'s podCIDRs and install learned routes (files datastore)')
    .requiredOption('-c, --config <file>', 'agent config file (YAML or JSON) with datastore.type files')
    .action(async (opts: { config: string }) => {
      const cfg = await loadConfigFile(opts.config);
      if (cfg.datastore.type !== 'files' || cfg.datastore.path === undefined) {
        throw new ConfigError(opts.config, [{ field: 'datastore.type', message: 'bgp run needs the files datastore (datastore.type: files, datastore.path)' }]);
      }
      const dir = cfg.datastore.path;
      const log = createLogger({ level: resolveLogLevel({ configLevel: cfg.logLevel, env: process.env }), name: 'meridian-bgp' });
      // Gauges read the routing status at scrape time; routing feeds the counters.
      const holder: { routing?: Routing } = {};
      const metrics = createMetrics({ routing: () => holder.routing?.status({ routes: false }) });
      const routing = new Routing(cfg, { run: execRunner, log, metrics });
      holder.routing = routing;
      // No policy here: the node file goes out as soon as routing runs.
      const publish = (plan: RoutingPlan) => publishNodeFile(cfg.cni.nodeFile, { nodeName: cfg.nodeName, podCIDRs: plan.blackholes }, log, () => metrics.errors.inc({ component: 'cni-node-file' }));
      const first = await readPlan(cfg, dir, log);
      const { port } = await routing.start(first);
      await publish(first);
      // /peers: sessions without the kernel route list (cheap to poll with 100k routes); /rib: the
      // Loc-RIB with its attributes (?family=4|6).
      const server = await startStatusServer(cfg.statusSocket, () => ({ node: cfg.nodeName, bgp: routing.status() }), {
        '/peers': () => ({ node: cfg.nodeName, bgp: routing.status({ routes: false }) }),
        '/rib': (q) => {
          const f = q.get('family');
          return routing.rib(f === '4' ? 4 : f === '6' ? 6 : undefined);
        },
      });
      const metricsServer = await startMetricsServer(cfg.metrics.listen, metrics, () => {
        const st = routing.status({ routes: false });
        return st.restarting ? { ready: false, why: 'graceful restart in progress' } : { ready: true };
      });
      log.info({ port, node: cfg.nodeName, status: cfg.statusSocket }, 'BGP speaker running');

      // The directory is the source of truth: re-read the Node when any manifest changes.
      let reload: NodeJS.Timeout | undefined;
      const watcher = watch(dir, { recursive: true }, () => {
        if (reload !== undefined) clearTimeout(reload);
        reload = setTimeout(() => {
          readPlan(cfg, dir, log)
            .then(async (plan) => {
              await routing.update(plan);
              await publish(plan);
            })
            .catch((e: unknown) => log.warn({ err: e }, 'manifests unreadable; keeping the last good Node'));
        }, 100);
      });

      const sig = await waitForStopSignal();
      log.info({ signal: sig }, 'stopping gracefully: sessions dropped, kernel routes kept');
      watcher.close();
      await routing.stop({ graceful: true });
      await new Promise<void>((r) => server.close(() => r()));
      await new Promise<void>((r) => metricsServer.close(() => r()));
    });
}

// `meridian agent --config FILE`: the node agent (src/agent/agent.ts) with the datastore the config
// names, the status socket (`meridian status`) and the metrics/health listener. SIGTERM and SIGINT
// stop it gracefully: forwarding state and policy rules stay in the kernel for the next run.

import type { Command } from 'commander';
import { Agent } from '../agent/agent.js';
import { loadConfigFile } from '../agent/config-file.js';
import { ConfigError, type AgentConfig } from '../agent/config.js';
import { createMetrics, startMetricsServer } from '../agent/metrics.js';
import { startStatusServer } from '../agent/status-server.js';
import type { Datastore } from '../k8s/datastore.js';
import { FilesDatastore } from '../k8s/files-datastore.js';
import { KubernetesDatastore, loadKubeConfig } from '../k8s/informers.js';
import { apiSecretReader, filesSecretReader, type SecretReader } from '../k8s/secrets.js';
import { createLogger, resolveLogLevel, type Logger } from '../logging/logger.js';
import { execRunner } from '../net/exec.js';
import { waitForStopSignal } from './stop-signal.js';

/** The datastore the config names, and where BGPPeer password Secrets come from with it. */
function makeDatastore(cfg: AgentConfig, source: string, log: Logger, onError: (kind: string) => void): { datastore: Datastore; secrets: SecretReader } {
  if (cfg.datastore.type === 'files') {
    const dir = cfg.datastore.path as string; // required by the schema for files
    const datastore = new FilesDatastore({
      dir,
      onError: (e) => {
        onError('all');
        log.warn({ err: e, dir }, 'manifests unreadable; keeping the last good view');
      },
    });
    return { datastore, secrets: filesSecretReader(dir) };
  }
  let kubeconfig;
  try {
    kubeconfig = loadKubeConfig(cfg.datastore.kubeconfig);
  } catch (e) {
    const where = cfg.datastore.kubeconfig ?? 'the in-cluster ServiceAccount';
    throw new ConfigError(source, [{ field: 'datastore.kubeconfig', message: `cannot load a kubeconfig from ${where}: ${(e as Error).message}` }]);
  }
  const datastore = new KubernetesDatastore({
    kubeconfig,
    onError: (kind, e) => {
      onError(kind);
      log.warn({ kind, err: e instanceof Error ? e.message : String(e) }, 'list/watch failed; retrying with backoff, keeping the last view');
    },
  });
  return { datastore, secrets: apiSecretReader(kubeconfig) };
}

export function registerAgentCommand(program: Command): void {
  program
    .command('agent')
    .description('run the node agent: datastore -> BGP routing and NetworkPolicy, health, metrics, status')
    .requiredOption('-c, --config <file>', 'agent config file (YAML or JSON)')
    .action(async (opts: { config: string }) => {
      const cfg = await loadConfigFile(opts.config);
      const log = createLogger({ level: resolveLogLevel({ configLevel: cfg.logLevel, env: process.env }), name: 'meridian-agent' });
      const holder: { agent?: Agent } = {};
      const metrics = createMetrics({
        routing: () => holder.agent?.routingStatus({ routes: false }),
        datastore: () => holder.agent?.datastoreStatus(),
        invalidObjects: () => holder.agent?.invalidObjects() ?? 0,
      });
      const { datastore, secrets } = makeDatastore(cfg, opts.config, log, (kind) => {
        metrics.datastoreErrors.inc({ kind });
        metrics.errors.inc({ component: 'datastore' });
      });
      const agent = new Agent({ cfg, datastore, secrets, run: execRunner, log, metrics });
      holder.agent = agent;
      const statusServer = await startStatusServer(cfg.statusSocket, () => agent.status());
      const metricsServer = await startMetricsServer(cfg.metrics.listen, metrics, () => agent.readiness());
      agent.start();
      log.info({ node: cfg.nodeName, status: cfg.statusSocket, metrics: cfg.metrics.listen }, 'agent running');

      const signal = await waitForStopSignal();
      log.info({ signal }, 'stopping gracefully: BGP sessions dropped, kernel routes and policy rules kept');
      await agent.stop({ graceful: true });
      await new Promise<void>((r) => statusServer.close(() => r()));
      await new Promise<void>((r) => metricsServer.close(() => r()));
    });
}

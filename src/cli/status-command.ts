// `meridian status`: what the local agent (or `meridian bgp run`) reports on its status socket.

import type { Command } from 'commander';
import { CONFIG_DEFAULTS } from '../agent/config.js';
import type { AgentStatus } from '../agent/agent.js';
import type { RoutingStatus } from '../agent/routing.js';
import { fetchStatus } from '../agent/status-client.js';

function duration(ms: number | undefined): string {
  if (ms === undefined) return '-';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60}s`;
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n');
}

/** What `meridian bgp run` (node, bgp) or `meridian agent` (all of it) reports. */
export type StatusDoc = { node?: string; bgp?: RoutingStatus } & Partial<Omit<AgentStatus, 'node' | 'bgp'>>;

function ago(at: number | undefined, now: number): string {
  return at === undefined ? 'never' : `${duration(now - at)} ago`;
}

function renderAgentParts(s: StatusDoc, out: string[], now: number): void {
  if (s.readiness !== undefined) out.push(`ready: ${s.readiness.ready ? 'yes' : `no (${s.readiness.why ?? ''})`}`);
  const d = s.datastore;
  if (d !== undefined) {
    out.push('', `Datastore (${d.type}): ${d.view.synced ? 'synced' : `waiting for ${d.view.waitingFor.join(', ')}`}, ${d.view.objects} objects, view version ${d.view.version}`);
    out.push(
      table([
        ['KIND', 'SYNCED', 'CONNECTED', 'LISTS', 'EVENTS', 'ERRORS', 'LAST CONTACT', 'LAST ERROR'],
        ...Object.entries(d.kinds).map(([kind, k]) => [kind, k.synced ? 'yes' : 'no', k.connected ? 'yes' : 'no', String(k.lists), String(k.events), String(k.errors), ago(k.lastContactAt, now), k.lastError ?? '']),
      ]),
    );
    if (d.view.problems.length > 0) {
      out.push('', `Objects not used as written (${d.view.problems.length}):`);
      for (const p of d.view.problems) out.push(`  ${p.kind ?? '?'} ${p.namespace !== undefined ? `${p.namespace}/` : ''}${p.name ?? '?'} (${p.source}): ${p.reason}`);
    }
  }
  const p = s.policy;
  if (p !== undefined) {
    out.push('', p.enabled ? `Policy: ${p.syncs} syncs, ${p.repairs} repairs, ${p.failures} failures, ${p.endpoints ?? 0} local endpoints${p.last !== undefined ? `, last ${p.last.kind} sync took ${p.last.durationMs.toFixed(1)} ms` : ''}${p.lastError !== undefined ? `, last error: ${p.lastError}` : ''}` : 'Policy: disabled');
  }
  if (s.routing !== undefined && s.routing.problems.length > 0) {
    out.push('', 'Routing problems:');
    for (const r of s.routing.problems) out.push(`  ${r}`);
  }
}

export function renderStatus(s: StatusDoc, now: number = Date.now()): string {
  const out: string[] = [];
  const b = s.bgp;
  out.push(`node ${s.node ?? '?'}${b !== undefined ? `  AS ${b.asn}  router-id ${b.routerId}${b.restarting ? '  (graceful restart in progress)' : ''}` : ''}`);
  renderAgentParts(s, out, now);
  if (b !== undefined) {
    out.push('', 'BGP peers:');
    out.push(
      table([
        ['PEER', 'AS', 'STATE', 'UPTIME', 'RECEIVED', 'ACCEPTED', 'ADVERTISED', 'GR', 'MD5', 'LAST ERROR'],
        ...b.peers.map((p) => [
          p.address,
          String(p.asn),
          p.state,
          duration(p.uptimeMs),
          String(p.prefixesReceived),
          String(p.prefixesIn),
          String(p.prefixesOut),
          p.gracefulRestart,
          p.md5 ? 'yes' : 'no',
          p.lastError === undefined ? '' : p.lastErrorAt === undefined ? p.lastError : `${p.lastError} (${ago(p.lastErrorAt, now)})`,
        ]),
      ]),
    );
    out.push('', `Originated: ${b.originated.join(', ') || '-'}`);
    out.push('', `Kernel routes (${b.routes.length}):`);
    for (const r of b.routes) {
      out.push(`  ${r.dst}  ${r.type === 'unicast' ? r.nexthops.map((h) => `via ${h.gateway ?? '?'}${h.dev !== undefined ? ` dev ${h.dev}` : ''}`).join(', ') : r.type}`);
    }
  }
  return out.join('\n') + '\n';
}

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description('readiness, datastore sync, objects not used as written, policy, BGP sessions and routes of the local agent')
    .option('--json', 'print the raw status JSON')
    .option('--socket <path>', 'agent status socket', CONFIG_DEFAULTS.statusSocket)
    .action(async (opts: { json?: boolean; socket: string }) => {
      const s = (await fetchStatus(opts.socket)) as StatusDoc;
      process.stdout.write(opts.json === true ? JSON.stringify(s, null, 2) + '\n' : renderStatus(s));
    });
}

// Routing.start's sysctls against a fake kernel: IPv6 forwarding is set where the kernel has IPv6;
// on a node booted with ipv6.disable=1 (no net.ipv6 sysctls at all) it is skipped, with one log
// line, and nothing IPv6 is attempted, unless the node has an IPv6 podCIDR: then start fails and
// says why.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/agent/config.js';
import type { RoutingPlan } from '../../../src/agent/routing-plan.js';
import { Routing } from '../../../src/agent/routing.js';
import { fakeRunner, type FakeReply } from '../../../src/net/fake-runner.js';
import type { Command } from '../../../src/net/runner.js';
import { sysctlExists } from '../../../src/net/sysctl.js';

const NO_IPV6 = 'sysctl: cannot stat /proc/sys/net/ipv6/conf/all/forwarding: No such file or directory\n';

/** A kernel: `ip -json` answers empty lists; without IPv6, every net.ipv6 key is missing. */
function kernel(ipv6: boolean) {
  return fakeRunner((cmd: Command): FakeReply | undefined => {
    if (cmd.argv.includes('-json')) return { stdout: '[]' };
    if (cmd.argv[0] === 'sysctl' && !ipv6 && cmd.argv.some((a) => a.startsWith('net.ipv6.'))) return { exitCode: 1, stderr: NO_IPV6 };
    if (cmd.argv[0] === 'sysctl' && cmd.argv[1] === '-n') return { stdout: '0\n' };
    return undefined;
  });
}

function plan(podCIDRs: readonly string[]): RoutingPlan {
  return { asn: 64512, routerId: '192.0.2.1', clusterId: undefined, listenPort: 0, peers: [], originate: [...podCIDRs], blackholes: [...podCIDRs], podRanges: [...podCIDRs], problems: [] };
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function start(ipv6: boolean, podCIDRs: readonly string[], later: readonly (readonly string[])[] = []) {
  const dir = mkdtempSync(join(tmpdir(), 'mrd-routing-sysctl-'));
  dirs.push(dir);
  const cfg = parseConfig(`nodeName: n1\ncni: {nodeFile: ${join(dir, 'node.json')}}\n`, { source: 't', env: {}, hostname: 'h' });
  const k = kernel(ipv6);
  const lines: string[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(s) });
  const routing = new Routing(cfg, { run: k.run, log });
  const result = await routing.start(plan(podCIDRs)).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  for (const cidrs of later) await routing.update(plan(cidrs));
  await routing.stop({ graceful: true });
  const argv = k.calls.map((c) => c.argv.join(' '));
  const ipset = k.calls.filter((c) => c.argv[0] === 'ipset').map((c) => c.input ?? '').join('');
  return { error: result, argv, ipset, logs: lines.map((l) => (JSON.parse(l) as { msg: string }).msg) };
}

describe('Routing sysctls', () => {
  it('turns on IPv4 and IPv6 forwarding where the kernel has IPv6', async () => {
    const r = await start(true, ['10.244.1.0/24', 'fd00:10:244:1::/64']);
    expect(r.error).toBeUndefined();
    expect(r.argv).toContain('sysctl -q -w net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1');
    expect(r.argv.some((a) => a.startsWith('ip6tables-restore'))).toBe(true);
    expect(r.ipset).toContain('family inet6');
  });

  it('skips everything IPv6 on a kernel without it when the node has no IPv6 podCIDR, saying so once', async () => {
    const r = await start(false, ['10.244.1.0/24']);
    expect(r.error).toBeUndefined();
    expect(r.argv.filter((a) => a.startsWith('sysctl -q -w'))).toEqual(['sysctl -q -w net.ipv4.ip_forward=1']);
    // No ip6tables (its tables do not exist there) and no IPv6 ipset.
    expect(r.argv.filter((a) => a.startsWith('ip6tables'))).toEqual([]);
    expect(r.argv.some((a) => a.startsWith('iptables-restore'))).toBe(true);
    expect(r.ipset).toContain('family inet ');
    expect(r.ipset).not.toContain('family inet6');
    expect(r.logs.filter((m) => /IPv6 is disabled/.test(m))).toHaveLength(1);
  });

  it('says so once when the node gains an IPv6 podCIDR later, and keeps routing IPv4', async () => {
    const v6 = ['10.244.1.0/24', 'fd00:10:244:1::/64'];
    const r = await start(false, ['10.244.1.0/24'], [v6, v6, ['10.244.1.0/24'], v6]);
    expect(r.error).toBeUndefined();
    // Once per time the problem appears, not on every plan that still has it.
    expect(r.logs.filter((m) => m === 'IPv6 podCIDR on a node without IPv6')).toHaveLength(2);
    expect(r.argv.filter((a) => a.startsWith('ip6tables'))).toEqual([]);
  });

  it('refuses to start on a kernel without IPv6 when the node has an IPv6 podCIDR', async () => {
    const r = await start(false, ['10.244.1.0/24', 'fd00:10:244:1::/64']);
    expect(r.error?.message).toBe(
      'node n1 has IPv6 podCIDRs (fd00:10:244:1::/64) but IPv6 is disabled in its kernel (no net.ipv6.conf.all.forwarding; booted with ipv6.disable=1?): enable IPv6 or remove the IPv6 podCIDRs',
    );
    expect(r.argv.filter((a) => a.startsWith('sysctl -q -w'))).toEqual([]);
  });
});

describe('sysctlExists', () => {
  it('tells a missing key from a failure', async () => {
    const reply = (r: FakeReply) => fakeRunner(() => r).run;
    expect(await sysctlExists(reply({ stdout: '1\n' }), 'net.ipv6.conf.all.forwarding')).toBe(true);
    expect(await sysctlExists(reply({ exitCode: 1, stderr: NO_IPV6 }), 'net.ipv6.conf.all.forwarding')).toBe(false);
    // Older procps exits 255; busybox says "unknown key".
    expect(await sysctlExists(reply({ exitCode: 255, stderr: NO_IPV6 }), 'net.ipv6.conf.all.forwarding')).toBe(false);
    expect(await sysctlExists(reply({ exitCode: 1, stderr: "sysctl: error: 'net.ipv6.conf.all.forwarding' is an unknown key\n" }), 'net.ipv6.conf.all.forwarding')).toBe(false);
    await expect(sysctlExists(reply({ exitCode: 1, stderr: 'sysctl: permission denied on key "net.ipv6.conf.all.forwarding"\n' }), 'net.ipv6.conf.all.forwarding')).rejects.toThrow(/permission denied/);
  });
});

// Self-test of the netns harness: worlds are built, traffic crosses them, and every way a test can
// end (pass, throw, SIGTERM, SIGINT, SIGKILL + sweep) leaves no namespace, no process and no change
// in the root namespace.

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { listNetns, sweepStale, withWorld, World } from '../harness/netns.js';
import { changedParts, isGuarded, namespaceSnapshot, rootSnapshot, type RootSnapshot } from '../harness/root-snapshot.js';
import { waitFor, withTimeout } from '../harness/wait.js';

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('netns harness', () => {
  it('pings across a veth between two namespaces and cleans up everything', async () => {
    const w = new World();
    const node = await w.netns('node');
    const pod = await w.netns('pod');
    const link = await w.link(node, pod, { addrA: ['10.200.0.1/30', 'fd00:200::1/64'], addrB: ['10.200.0.2/30', 'fd00:200::2/64'] });
    expect(link).toEqual({ a: 'eth0', b: 'eth0' });

    const r = await w.exec(node, ['ping', '-c', '1', '-W', '2', '10.200.0.2']);
    expect(r.stdout).toContain('1 received');
    const r6 = await w.exec(pod, ['ping', '-6', '-c', '1', '-W', '2', 'fd00:200::1']);
    expect(r6.stdout).toContain('1 received');

    const sleeper = w.spawn(pod, ['sleep', '300']);
    // The process runs inside the pod namespace, not in the root one.
    const pids = await waitFor(
      async () => {
        const r = await w.exec(pod, ['ip', 'netns', 'pids', pod.name]);
        return r.stdout.split(/\s+/).includes(String(sleeper.pid)) ? r.stdout : undefined;
      },
      { timeoutMs: 2000, what: 'the sleeper to show up in the pod namespace' },
    );
    expect(pids).toContain(String(sleeper.pid));

    const names = w.netnsNames;
    await w.cleanup();
    expect(listNetns().filter((n) => names.includes(n))).toEqual([]);
    await waitFor(() => !pidAlive(sleeper.pid), { timeoutMs: 3000, what: `pid ${sleeper.pid} to be gone` });
  });

  it('joins three hosts on a bridged L2 segment', async () => {
    await withWorld(async (w) => {
      const sw = await w.netns('switch');
      const br = await w.bridge(sw);
      const hosts = await Promise.all(['a', 'b', 'c'].map((r) => w.netns(`host${r}`)));
      for (const [i, h] of hosts.entries()) await w.attach(h, br, { addr: `10.201.0.${i + 1}/24` });
      for (const [i, h] of hosts.entries()) {
        const peer = `10.201.0.${((i + 1) % 3) + 1}`;
        const r = await w.exec(h, ['ping', '-c', '1', '-W', '2', peer]);
        expect(r.stdout).toContain('1 received');
      }
    });
  });

  it('cleans up when the test body throws', async () => {
    let names: string[] = [];
    await expect(
      withWorld(async (w) => {
        await w.netns('node');
        names = w.netnsNames;
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(names).toHaveLength(1);
    expect(listNetns().filter((n) => names.includes(n))).toEqual([]);
  });

  async function startHolder(): Promise<{ pid: number; exited: Promise<number | null>; world: { namespaces: string[]; pids: number[] } }> {
    const child = spawn(process.execPath, ['node_modules/vite-node/vite-node.mjs', 'test/harness/fixtures/world-child.ts'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const lines = createInterface({ input: child.stdout });
    const first = await withTimeout(
      new Promise<string>((resolve) => lines.once('line', resolve)),
      20_000,
      'the world-holding child to report its world',
    );
    return { pid: child.pid ?? -1, exited, world: JSON.parse(first) as { namespaces: string[]; pids: number[] } };
  }

  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    it(`removes namespaces and processes when the test process gets ${sig}`, async () => {
      const h = await startHolder();
      expect(h.world.namespaces).toHaveLength(2);
      for (const n of h.world.namespaces) expect(listNetns()).toContain(n);
      process.kill(h.pid, sig);
      await withTimeout(h.exited, 10_000, 'the child to exit');
      expect(listNetns().filter((n) => h.world.namespaces.includes(n))).toEqual([]);
      await waitFor(() => h.world.pids.every((p) => !pidAlive(p)), { timeoutMs: 3000, what: 'processes to be gone' });
    });
  }

  it('sweeps what a SIGKILLed test process left behind', async () => {
    const h = await startHolder();
    process.kill(h.pid, 'SIGKILL');
    await withTimeout(h.exited, 10_000, 'the child to die');
    // SIGKILL runs no handler: the namespaces and the sleeper inside are still there...
    for (const n of h.world.namespaces) expect(listNetns()).toContain(n);
    // ...until the sweep finds them by their dead owner's PID.
    const swept = sweepStale();
    expect(swept.sort()).toEqual([...h.world.namespaces].sort());
    expect(listNetns().filter((n) => h.world.namespaces.includes(n))).toEqual([]);
    await waitFor(() => h.world.pids.every((p) => !pidAlive(p)), { timeoutMs: 3000, what: 'the sleeper to be gone' });
  });
});

describe('root namespace guard', () => {
  it('covers this file without the file asking (test/harness/kernel-setup.ts)', () => {
    expect(isGuarded(fileURLToPath(import.meta.url))).toBe(true);
  });

  it('reads the root namespace the same twice while nothing changes it', () => {
    expect(changedParts(rootSnapshot(), rootSnapshot())).toEqual([]);
  });

  it('notices a change to each part it guards (shown in a scratch namespace, never the root one)', async () => {
    await withWorld(async (w) => {
      const ns = await w.netns('scratch');
      await w.exec(ns, ['ip', 'link', 'set', 'lo', 'up']);
      const before = namespaceSnapshot(ns.name);
      const sysctls: Record<string, number> = { 'net.ipv4.ip_forward': 1, 'net.ipv6.conf.all.forwarding': 1, 'net.ipv4.conf.all.proxy_arp': 1 };
      // A fresh namespace may start with rp_filter 0 or the initial namespace's value: flip it.
      sysctls['net.ipv4.conf.all.rp_filter'] = before.sysctls.includes('net.ipv4.conf.all.rp_filter = 2') ? 1 : 2;
      await w.sysctl(ns, sysctls);
      const steps: [keyof RootSnapshot, string[]][] = [
        ['links', ['ip', 'link', 'add', 'mrdsnap0', 'type', 'veth', 'peer', 'name', 'mrdsnap1']],
        ['addresses', ['ip', 'addr', 'add', '10.254.0.1/24', 'dev', 'mrdsnap0']],
        ['routes4', ['ip', 'route', 'add', '10.253.0.0/16', 'via', '127.0.0.1', 'table', '100']],
        ['routes6', ['ip', '-6', 'route', 'add', 'unreachable', 'fd00:253::/48', 'table', '100']],
        ['rules4', ['ip', 'rule', 'add', 'from', '10.252.0.0/16', 'lookup', '100']],
        ['rules6', ['ip', '-6', 'rule', 'add', 'from', 'fd00:252::/48', 'lookup', '100']],
        ['iptables', ['iptables', '-N', 'MERIDIAN-SNAPSHOT']],
        ['ip6tables', ['ip6tables', '-N', 'MERIDIAN-SNAPSHOT']],
        ['ipsets', ['ipset', 'create', 'meridian-snapshot', 'hash:ip']],
      ];
      for (const [, argv] of steps) await w.exec(ns, argv);
      const after = namespaceSnapshot(ns.name);
      expect(changedParts(before, after).sort()).toEqual([...steps.map(([part]) => part), 'sysctls'].sort());
      for (const name of Object.keys(sysctls)) expect(after.sysctls).toContain(`${name} = ${sysctls[name]}`);
      expect(after.rules6).toContain('from fd00:252::/48 lookup 100');
      expect(after.ip6tables).toContain(':MERIDIAN-SNAPSHOT');
      expect(changedParts(after, namespaceSnapshot(ns.name))).toEqual([]);
    });
  });
});

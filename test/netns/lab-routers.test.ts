// The lab's external routers (src/lab/routers/router.ts), each kind in both roles, started detached
// in a namespace of this test and peered with real BIRD speakers standing in for the nodes:
// - ToR: eBGP from its loopback to two nodes on subnets of their own (IPv4 and IPv6); the router
//   installs each node's prefixes in its own FIB (a prefix both announce as ECMP) and forwards
//   between the nodes.
// - RR: iBGP on one segment; each node learns the other's prefixes with the next hop unchanged,
//   and the RR's own FIB stays empty.
// Each router is stopped through a JSON copy of its handle (all a later CLI process has); then no
// daemon of it is alive and (ToR) its routes are gone from the FIB. The world's cleanup kills
// whatever a failing test left in its namespaces.

import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { daemonAlive } from '../../src/net/daemon.js';
import { execRunner } from '../../src/net/exec.js';
import { routerRoutes, routerSessions, rrConfig, startRouter, stopRouter, torConfig, type RouterHandle, type RouterKind } from '../../src/lab/routers/router.js';
import type { RouterConfig } from '../../src/lab/routers/types.js';
import { fibRoutes, startBird, type BgpDaemon, type FibRoute } from '../harness/bgp-daemons/index.js';
import { withWorld, type Netns, type World } from '../harness/netns.js';
import { waitFor } from '../harness/wait.js';

const KINDS: readonly RouterKind[] = ['bird', 'frr', 'gobgp'];
const TOR_AS = 65000;
const TOR_LO = { 4: '172.16.0.1', 6: 'fd00:16::1' } as const;
const SHARED = { 4: '10.96.0.0/16', 6: 'fd10:96::/112' } as const;
const NODE_AS = 64512;

function stateDir(w: World, kind: RouterKind): string {
  const dir = mkdtempSync(join(tmpdir(), `mrd-lab-${kind}-`));
  chmodSync(dir, 0o755);
  w.onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Start the router; run `fn`; always stop it through a JSON copy of the handle and prove it gone. */
async function withRouter(w: World, kind: RouterKind, ns: Netns, cfg: RouterConfig, fn: (h: RouterHandle) => Promise<void>): Promise<RouterHandle> {
  const h = await startRouter(kind, { ...cfg, netns: ns.name, dir: stateDir(w, kind) });
  try {
    // FRR: zebra and bgpd; GoBGP: gobgpd and, where there is a FIB to program, the FIB sync.
    expect(h.daemons.length).toBe(kind === 'bird' || (kind === 'gobgp' && cfg.kernel !== true) ? 1 : 2);
    await fn(h);
  } finally {
    const fresh = JSON.parse(JSON.stringify(h)) as RouterHandle;
    await stopRouter(fresh);
    await stopRouter(fresh); // idempotent
    expect(fresh.daemons.map(daemonAlive)).toEqual(fresh.daemons.map(() => false));
  }
  return h;
}

async function sessionsUp(h: RouterHandle, peers: readonly string[]): Promise<void> {
  let last: unknown;
  await waitFor(
    async () => {
      const s = await routerSessions(h);
      last = s;
      return peers.every((p) => s.some((x) => x.peer === p && x.established));
    },
    { timeoutMs: 20_000, intervalMs: 200, what: `${h.kind} sessions with ${peers.join(', ')}` },
  ).catch((e: unknown) => {
    throw new Error(`${(e as Error).message}\n${JSON.stringify(last)}`);
  });
}

const gw = (fib: readonly FibRoute[], prefix: string): string | undefined => fib.find((r) => r.prefix === prefix)?.gateways.slice().sort().join();

describe.concurrent('lab routers as top-of-rack routers (eBGP, FIB)', () => {
  it.each(KINDS)('%s installs both nodes’ IPv4 and IPv6 prefixes (ECMP for a shared one) and forwards between them', async (kind) => {
    await withWorld(async (w) => {
      const tor = await w.netns('tor');
      await w.exec(tor, ['ip', 'addr', 'add', `${TOR_LO[4]}/32`, 'dev', 'lo']);
      await w.exec(tor, ['ip', 'addr', 'add', `${TOR_LO[6]}/128`, 'dev', 'lo']);
      await w.sysctl(tor, { 'net.ipv4.ip_forward': 1, 'net.ipv6.conf.all.forwarding': 1 });
      const nodes = [1, 2].map((i) => ({ i, v4: `172.16.${i}.2`, v6: `fd00:16:${i}::2`, asn: 64600 + i, pod4: `10.244.${i}.0/24`, pod6: `fd10:244:${i}::/64` }));
      const speakers: BgpDaemon[] = [];
      const nsOf: Netns[] = [];
      for (const n of nodes) {
        const ns = await w.netns(`node${n.i}`);
        nsOf.push(ns);
        await w.link(ns, tor, { addrA: [`${n.v4}/24`, `${n.v6}/64`], addrB: [`172.16.${n.i}.1/24`, `fd00:16:${n.i}::1/64`] });
        await w.exec(ns, ['ip', 'route', 'add', 'default', 'via', `172.16.${n.i}.1`]);
        await w.exec(ns, ['ip', '-6', 'route', 'add', 'default', 'via', `fd00:16:${n.i}::1`]);
        // A "pod" address on the node, to prove the ToR forwards to it.
        await w.exec(ns, ['ip', 'addr', 'add', `10.244.${n.i}.1/32`, 'dev', 'lo']);
        await w.exec(ns, ['ip', 'addr', 'add', `fd10:244:${n.i}::1/128`, 'dev', 'lo']);
      }
      const cfg = torConfig({ routerId: TOR_LO[4], asn: TOR_AS, loopback: TOR_LO, holdTime: 9, nodes: nodes.flatMap((n) => [{ address: n.v4, asn: n.asn }, { address: n.v6, asn: n.asn }]) });
      await withRouter(w, kind, tor, cfg, async (h) => {
        for (const [k, n] of nodes.entries()) {
          const sp = await startBird(w, {
            ns: nsOf[k] as Netns,
            routerId: n.v4,
            asn: n.asn,
            ipv6: true,
            holdTime: 9,
            neighbors: [
              { address: TOR_LO[4], asn: TOR_AS, multihop: true, localAddress: n.v4 },
              { address: TOR_LO[6], asn: TOR_AS, multihop: true, localAddress: n.v6 },
            ],
          });
          await sp.announce([n.pod4, n.pod6, SHARED[4], SHARED[6]]);
          speakers.push(sp);
        }
        await sessionsUp(
          h,
          nodes.flatMap((n) => [n.v4, n.v6]),
        );
        for (const f of [4, 6] as const) {
          const want = new Map<string, string>([...nodes.map((n): [string, string] => [f === 4 ? n.pod4 : n.pod6, f === 4 ? n.v4 : n.v6]), [SHARED[f], nodes.map((n) => (f === 4 ? n.v4 : n.v6)).sort().join()]]);
          let fib: FibRoute[] = [];
          await waitFor(
            async () => {
              fib = await fibRoutes(w, tor, f);
              return [...want].every(([p, g]) => gw(fib, p) === g);
            },
            { timeoutMs: 20_000, intervalMs: 200, what: `the ${kind} ToR to install the nodes' IPv${f} prefixes` },
          ).catch(async (e: unknown) => {
            throw new Error(`${(e as Error).message}\nFIB ${JSON.stringify(fib)}\nRIB ${JSON.stringify(await routerRoutes(h, f))}`);
          });
          const rib = await routerRoutes(h, f);
          for (const n of nodes) expect(rib.find((r) => r.prefix === (f === 4 ? n.pod4 : n.pod6))?.nextHops[0]).toBe(f === 4 ? n.v4 : n.v6);
        }
        // node1 -> ToR -> node2's "pod" address, both families.
        const [n1] = nsOf as [Netns];
        await w.exec(n1, ['ping', '-c', '1', '-W', '2', '10.244.2.1']);
        await w.exec(n1, ['ping', '-6', '-c', '1', '-W', '2', 'fd10:244:2::1']);
      });
      // Stopped: the router's learned routes left its FIB with it.
      for (const f of [4, 6] as const) {
        await waitFor(async () => !(await fibRoutes(w, tor, f)).some((r) => r.prefix === SHARED[f]), { timeoutMs: 5000, intervalMs: 100, what: `the stopped ${kind} ToR's IPv${f} routes to go` });
      }
    });
  }, 50_000);
});

describe.concurrent('lab routers as route reflectors (iBGP, next hop unchanged)', () => {
  it.each(KINDS)('%s reflects each node’s IPv4 and IPv6 prefixes to the other with its own next hop', async (kind) => {
    await withWorld(async (w) => {
      const lan = await w.netns('lan');
      const br = await w.bridge(lan);
      const rr = await w.netns('rr');
      await w.attach(rr, br, { addr: ['10.0.0.10/24', 'fd00::10/64'] });
      const nodes = [1, 2].map((i) => ({ i, v4: `10.0.0.${i}`, v6: `fd00::${i}`, pod4: `10.244.${i}.0/24`, pod6: `fd10:244:${i}::/64` }));
      const nsOf: Netns[] = [];
      for (const n of nodes) {
        const ns = await w.netns(`node${n.i}`);
        await w.attach(ns, br, { addr: [`${n.v4}/24`, `${n.v6}/64`] });
        nsOf.push(ns);
      }
      const cfg = rrConfig({ routerId: '10.0.0.10', asn: NODE_AS, clusterId: '10.0.0.100', holdTime: 9, clients: nodes.flatMap((n) => [n.v4, n.v6]) });
      await withRouter(w, kind, rr, cfg, async (h) => {
        const speakers: BgpDaemon[] = [];
        for (const [k, n] of nodes.entries()) {
          const sp = await startBird(w, {
            ns: nsOf[k] as Netns,
            routerId: n.v4,
            asn: NODE_AS,
            ipv6: true,
            holdTime: 9,
            neighbors: [
              { address: '10.0.0.10', asn: NODE_AS },
              { address: 'fd00::10', asn: NODE_AS },
            ],
          });
          await sp.announce([n.pod4, n.pod6]);
          speakers.push(sp);
        }
        await sessionsUp(
          h,
          nodes.flatMap((n) => [n.v4, n.v6]),
        );
        const [s1, s2] = speakers as [BgpDaemon, BgpDaemon];
        const [n1, n2] = nodes as [(typeof nodes)[number], (typeof nodes)[number]];
        for (const [sp, other] of [
          [s1, n2],
          [s2, n1],
        ] as const) {
          for (const f of [4, 6] as const) {
            const prefix = f === 4 ? other.pod4 : other.pod6;
            const hop = f === 4 ? other.v4 : other.v6;
            await waitFor(async () => (await sp.routes(f)).some((r) => r.prefix === prefix), { timeoutMs: 20_000, intervalMs: 200, what: `${prefix} reflected by ${kind}` }).catch(async (e: unknown) => {
              throw new Error(`${(e as Error).message}\nclient ${JSON.stringify(await sp.routes(f))}\nRR ${JSON.stringify(await routerRoutes(h, f))}`);
            });
            const r = (await sp.routes(f)).find((x) => x.prefix === prefix);
            expect(r?.nextHops[0]).toBe(hop);
            expect(r?.originatorId).toBe(other.v4);
          }
        }
        const rib = await routerRoutes(h, 6);
        for (const n of nodes) expect(rib.find((r) => r.prefix === n.pod6)?.nextHops[0]).toBe(n.v6);
        // An RR programs no FIB (FRR runs zebra with `bgp no-rib`).
        for (const f of [4, 6] as const) expect((await fibRoutes(w, rr, f)).filter((r) => r.prefix.startsWith(f === 4 ? '10.244.' : 'fd10:'))).toEqual([]);
      });
    });
  }, 50_000);
});

describe('lab router start failures', () => {
  it('a config the daemon rejects fails with the daemon’s own message and leaves no process', async () => {
    await withWorld(async (w) => {
      const ns = await w.netns('bad');
      // BIRD refuses a neighbor port of 0 at config time (`bird -p`).
      const cfg: RouterConfig = { routerId: '10.0.0.1', asn: 65000, neighbors: [{ address: '10.0.0.2', asn: 65001, port: 0 }] };
      const err = await startRouter('bird', { ...cfg, netns: ns.name, dir: stateDir(w, 'bird') }).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(err?.message).toMatch(/bird.*-p/);
      expect(`${err?.message}\n${(err as { stderr?: string } | undefined)?.stderr ?? ''}`).toMatch(/port|range|number/i);
      expect((await execRunner({ argv: ['ip', 'netns', 'pids', ns.name] })).stdout.trim()).toBe('');
    });
  });
});

// `meridian bgp run` as a real process in "node" namespaces on one L2 segment: two nodes peer
// over iBGP, advertise their podCIDRs from Node manifests, install each other's routes in the
// kernel with our protocol number, and forward between pod addresses. A graceful restart (SIGTERM,
// start again) keeps the kernel routes and the traffic flowing throughout.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { execRunner as run } from '../../src/net/exec.js';
import { listRoutes } from '../../src/net/ip.js';
import type { RoutingStatus } from '../../src/agent/routing.js';
import { withWorld, type Netns, type World } from '../harness/netns.js';
import { waitFor } from '../harness/wait.js';

const MERIDIAN = resolve(import.meta.dirname, '../../dist/meridian.js');

function status(socketPath: string): Promise<{ bgp: RoutingStatus }> {
  return new Promise((resolvePromise, reject) => {
    const req = request({ socketPath, path: '/status' }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolvePromise(JSON.parse(body) as { bgp: RoutingStatus }));
    });
    req.on('error', reject);
    req.end();
  });
}

interface TestNode {
  ns: Netns;
  pod: Netns;
  name: string;
  ip: string;
  podCidr: string;
  podIp: string;
  config: string;
  socket: string;
}

function writeNode(dir: string, n: TestNode): void {
  writeFileSync(
    join(dir, 'objects', `${n.name}.yaml`),
    `apiVersion: v1
kind: Node
metadata: {name: ${n.name}}
spec: {podCIDR: ${n.podCidr}, podCIDRs: [${n.podCidr}]}
status: {addresses: [{type: InternalIP, address: ${n.ip}}]}
`,
  );
}

function startAgent(w: World, n: TestNode) {
  return w.spawn(n.ns, [process.execPath, MERIDIAN, 'bgp', 'run', '--config', n.config], { env: { PATH: process.env['PATH'] ?? '', MERIDIAN_LOG_LEVEL: 'info' } });
}

describe('meridian bgp run between node namespaces', () => {
  it('routes between nodes by BGP alone and survives a graceful restart without dropping traffic', async () => {
    await withWorld(async (w) => {
      const dir = mkdtempSync(join(tmpdir(), 'mrd-bgp-'));
      const { mkdirSync } = await import('node:fs');
      mkdirSync(join(dir, 'objects'));
      const sw = await w.netns('switch');
      const br = await w.bridge(sw);
      // A host outside the cluster on the same segment, with no route to the pod networks: pods
      // reach it only if their traffic is masqueraded to the node's address.
      const outside = await w.netns('outside');
      await w.attach(outside, br, { addr: '192.0.2.200/24' });
      const nodes: TestNode[] = [];
      for (const [i, name] of ['node-a', 'node-b'].entries()) {
        const ns = await w.netns(`node${i}`);
        const ip = `192.0.2.${i + 1}`;
        await w.attach(ns, br, { addr: `${ip}/24` });
        await w.sysctl(ns, { 'net.ipv4.ip_forward': 1 });
        // Like a real node, a default route (to a router that is not there): proxy ARP answers
        // for 169.254.1.1 only when the node has a route for it.
        await w.exec(ns, ['ip', 'route', 'add', 'default', 'via', '192.0.2.254']);
        const podCidr = `10.244.${i + 1}.0/24`;
        const podIp = `10.244.${i + 1}.10`;
        // A pod wired the way the CNI plugin does it: /32 in its namespace, default route via the
        // link-local gateway answered by proxy ARP, a host /32 route to it (more specific than
        // the blackhole route for the podCIDR).
        const pod = await w.netns(`pod${i}`);
        const { a: hostIf } = await w.link(ns, pod, { nameA: 'vethpod', nameB: 'eth0', addrB: `${podIp}/32` });
        await w.sysctl(ns, { [`net.ipv4.conf.${hostIf}.proxy_arp`]: 1 });
        await w.exec(pod, ['ip', 'route', 'add', '169.254.1.1', 'dev', 'eth0', 'scope', 'link']);
        await w.exec(pod, ['ip', 'route', 'add', 'default', 'via', '169.254.1.1', 'dev', 'eth0']);
        await w.exec(ns, ['ip', 'route', 'add', `${podIp}/32`, 'dev', hostIf, 'scope', 'link']);
        const n: TestNode = { ns, pod, name, ip, podCidr, podIp, config: join(dir, `${name}.yaml`), socket: join(dir, `${name}.sock`) };
        nodes.push(n);
      }
      const [a, b] = nodes as [TestNode, TestNode];
      for (const n of nodes) {
        writeNode(dir, n);
        const other = n === a ? b : a;
        writeFileSync(
          n.config,
          `nodeName: ${n.name}
datastore: {type: files, path: ${join(dir, 'objects')}}
bgp:
  asn: 64512
  gracefulRestartTime: 30
  peers: [{address: ${other.ip}, asn: 64512, holdTime: 9}]
statusSocket: ${n.socket}
cni: {nodeFile: ${join(dir, `${n.name}-node.json`)}}
metrics: {listen: "${n.ip}:9493"}
`,
        );
      }
      const procA = startAgent(w, a);
      startAgent(w, b);
      const dump = () => `a: ${procA.output().stderr.slice(-1500)}`;

      // Each node learns the other's podCIDR and installs it with protocol 180 via the peer.
      for (const [n, other] of [[a, b], [b, a]] as const) {
        await waitFor(
          async () => {
            const rs = await listRoutes(run, { family: 4, protocol: 180, netns: n.ns.name });
            return rs.some((r) => r.dst === other.podCidr && r.gateway === other.ip);
          },
          { timeoutMs: 20_000, what: `${n.name} to install ${other.podCidr} via ${other.ip}` },
        ).catch((e: unknown) => {
          throw new Error(`${(e as Error).message}\n${dump()}`);
        });
        // Its own podCIDR is a blackhole, so unallocated pod IPs do not loop.
        const own = await listRoutes(run, { family: 4, protocol: 180, netns: n.ns.name });
        expect(own.find((r) => r.dst === n.podCidr)?.type).toBe('blackhole');
      }
      const ping = await w.exec(a.pod, ['ping', '-c', '2', '-i', '0.2', '-W', '2', b.podIp]);
      expect(ping.stdout).toContain('2 received');

      // Outbound SNAT: a pod reaches the outside host (which has no route back to 10.244/16)...
      const outPing = await w.exec(a.pod, ['ping', '-c', '1', '-W', '2', '192.0.2.200']);
      expect(outPing.stdout).toContain('1 received');
      const nat = await w.exec(a.ns, ['iptables-save', '-t', 'nat']);
      expect(nat.stdout).toContain('-A POSTROUTING -m comment --comment "meridian outgoing NAT" -j MERIDIAN-POSTROUTING');
      // ...while pod-to-pod traffic keeps the pod's own source address.
      const server = w.spawn(b.pod, ['nc', '-lvn', '-p', '8080']);
      await waitFor(async () => (await w.exec(b.pod, ['ss', '-ltn'])).stdout.includes(':8080'), { timeoutMs: 5000, what: 'nc to listen' });
      await w.exec(a.pod, ['sh', '-c', `echo hi | nc -w 2 -N ${b.podIp} 8080`]);
      await waitFor(() => /Connection (received|from)/.test(server.output().stderr + server.output().stdout), { timeoutMs: 5000, what: 'nc to log the client' });
      expect(server.output().stderr + server.output().stdout).toContain(a.podIp);

      const st = await status(a.socket);
      expect(st.bgp.peers).toMatchObject([{ address: b.ip, asn: 64512, state: 'Established', prefixesIn: 1, prefixesOut: 1 }]);
      // Prometheus metrics and health, served inside the node namespace (read from b's namespace).
      const metrics = await w.exec(b.ns, ['curl', '-sf', `http://${a.ip}:9493/metrics`]);
      expect(metrics.stdout).toContain(`meridian_bgp_session_state{peer="${b.ip}",peer_asn="64512",state="Established"} 1`);
      expect(metrics.stdout).toMatch(/meridian_route_syncs_total\{result="ok"\} [1-9]/);
      const ready = await w.exec(b.ns, ['curl', '-sf', `http://${a.ip}:9493/readyz`]);
      expect(ready.stdout).toBe('ok\n');

      // Graceful restart of node a: traffic keeps flowing while it is down and while it comes back.
      const pinger = w.spawn(b.pod, ['ping', '-i', '0.1', '-W', '1', a.podIp]);
      await new Promise((r) => setTimeout(r, 500));
      procA.kill('SIGTERM');
      await procA.exited;
      // Kernel routes of a stay (it left them), b keeps a's routes as stale.
      expect((await listRoutes(run, { family: 4, protocol: 180, netns: a.ns.name })).some((r) => r.dst === b.podCidr)).toBe(true);
      await new Promise((r) => setTimeout(r, 1500));
      expect((await listRoutes(run, { family: 4, protocol: 180, netns: b.ns.name })).some((r) => r.dst === a.podCidr)).toBe(true);
      const procA2 = startAgent(w, a);
      await waitFor(async () => (await status(a.socket).catch(() => undefined))?.bgp.peers[0]?.state === 'Established', {
        timeoutMs: 20_000,
        what: 'node a to re-establish',
      }).catch((e: unknown) => {
        throw new Error(`${(e as Error).message}\n${procA2.output().stderr.slice(-1500)}`);
      });
      await waitFor(async () => (await status(a.socket)).bgp.restarting === false, { timeoutMs: 10_000, what: 'restart to finish' });
      await new Promise((r) => setTimeout(r, 500));
      pinger.kill('SIGINT');
      await pinger.exited;
      const out = pinger.output().stdout;
      const m = /(\d+) packets transmitted, (\d+) received/.exec(out);
      expect(m, out).not.toBeNull();
      const [sent, got] = [Number(m?.[1]), Number(m?.[2])];
      expect(sent).toBeGreaterThan(15);
      expect(got).toBe(sent);
      // And the routes are still there afterwards.
      expect((await listRoutes(run, { family: 4, protocol: 180, netns: a.ns.name })).some((r) => r.dst === b.podCidr)).toBe(true);
    });
  }, 90_000);
});

// Routing-test clusters: N node namespaces on one L2 segment (192.0.2.0/24), each with a default
// route to a router that is not there (as on a real node, it makes proxy ARP answer for the pods'
// 169.254.1.1 gateway), each running `meridian bgp run` over one shared files datastore, so the
// Node manifests alone decide who peers with whom.

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMeridian, type MeridianNode } from './meridian-node.js';
import type { Netns, World } from './netns.js';

export interface LanNode {
  readonly ns: Netns;
  readonly ip: string;
  readonly podCidr: string;
  readonly agent: MeridianNode;
}

export interface LanNodeSpec {
  readonly name: string;
  /** Node metadata (annotations, labels). */
  readonly metadata?: Record<string, unknown>;
}

/** Node i (from 0) is 192.0.2.(i+1) with podCIDR 10.244.(i+1).0/24. */
export async function routingLan(w: World, nodes: readonly LanNodeSpec[], opts: { config?: Record<string, unknown>; objects?: readonly Record<string, unknown>[] } = {}): Promise<{ nodes: LanNode[]; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'mrd-lan-'));
  w.onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'objects'));
  const br = await w.bridge(await w.netns('switch'));
  const out: LanNode[] = [];
  for (const [i, spec] of nodes.entries()) {
    const ns = await w.netns(`node${i}`);
    const ip = `192.0.2.${i + 1}`;
    await w.attach(ns, br, { addr: `${ip}/24` });
    await w.exec(ns, ['ip', 'route', 'add', 'default', 'via', '192.0.2.254']);
    const podCidr = `10.244.${i + 1}.0/24`;
    const agent = startMeridian(w, {
      ns,
      name: spec.name,
      ips: [ip],
      podCIDRs: [podCidr],
      dir,
      ...(spec.metadata !== undefined ? { metadata: spec.metadata } : {}),
      ...(i === 0 && opts.objects !== undefined ? { objects: opts.objects } : {}),
      env: { MERIDIAN_LOG_LEVEL: 'info' },
      config: { bgp: { asn: 64512, gracefulRestartTime: 30 }, metrics: { listen: `${ip}:9493` }, ...opts.config },
    });
    out.push({ ns, ip, podCidr, agent });
  }
  return { nodes: out, dir };
}

// Our speakers over loopback (127.0.0.0/8 is all local, so each speaker gets its own address):
// the nodes, peer specs and Loc-RIB lookups the loopback tests share. Speakers started here are
// stopped by stopAll() (call it in afterEach).

import { createServer } from 'node:net';
import { Speaker, type PeerSpec, type SpeakerConfig } from '../../src/bgp/speaker/speaker.js';
import { waitFor } from '../harness/wait.js';

export const live: Speaker[] = [];

export async function stopAll(): Promise<void> {
  await Promise.all(live.splice(0).map((s) => s.stop()));
}

export async function freePort(host: string): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, host, () => {
      const a = s.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface Node {
  speaker: Speaker;
  addr: string;
  port: number;
}

/** A started speaker on `addr`; `deps` as the Speaker takes them (a log, a TCP MD5 stand-in). */
export async function node(addr: string, asn: number, extra: Partial<SpeakerConfig> = {}, deps: ConstructorParameters<typeof Speaker>[1] = {}): Promise<Node> {
  const port = extra.listenPort ?? (await freePort(addr));
  const cfg: SpeakerConfig = { asn, routerId: addr, listenAddress: addr, listenPort: port, connectRetrySeconds: 1, allowLoopbackNextHop: true, ...extra };
  const speaker = new Speaker(cfg, deps);
  await speaker.start();
  live.push(speaker);
  return { speaker, addr, port };
}

export function peer(to: Pick<Node, 'addr' | 'port'>, asn: number, from: Pick<Node, 'addr'>, extra: Partial<PeerSpec> = {}): PeerSpec {
  return { address: to.addr, asn, port: to.port, localAddress: from.addr, ...extra };
}

export function best(n: Node, prefix: string) {
  for (const b of n.speaker.locRib(1)) if (b.best.prefix === prefix) return b;
  return undefined;
}

export const established = (n: Node, count = 1) =>
  waitFor(() => n.speaker.status().filter((p) => p.state === 'Established').length >= count, { timeoutMs: 10_000, what: `${n.addr} to establish ${count}` });

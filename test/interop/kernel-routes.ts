// Meridian's kernel routes (protocol 180) in its namespace, for interop tests: by prefix, with the
// first gateway; and a wait for exact counts that says how far it got and shows Meridian's log.

import { execRunner as run } from '../../src/net/exec.js';
import { listRoutes } from '../../src/net/ip.js';
import type { MeridianNode } from '../harness/meridian-node.js';
import { waitFor } from '../harness/wait.js';

export const MERIDIAN_PROTO = 180;

/** prefix -> first gateway ("" when none) of Meridian's non-blackhole routes of one family. */
export async function kernelPrefixes(ns: string, family: 4 | 6): Promise<Map<string, string>> {
  const rs = await listRoutes(run, { family, protocol: MERIDIAN_PROTO, netns: ns });
  const out = new Map<string, string>();
  for (const r of rs) {
    if (r.type === 'blackhole') continue;
    const dst = r.dst.includes('/') ? r.dst : `${r.dst}/${family === 4 ? 32 : 128}`;
    out.set(dst, r.gateway ?? r.nexthops?.[0]?.gateway ?? '');
  }
  return out;
}

/** Wait until Meridian's kernel table holds exactly these numbers of learned routes per family. */
export async function waitKernel(node: MeridianNode, ns: string, want: { 4: number; 6: number }, timeoutMs = 15_000): Promise<void> {
  let have = { 4: -1, 6: -1 };
  await waitFor(
    async () => {
      have = { 4: (await kernelPrefixes(ns, 4)).size, 6: (await kernelPrefixes(ns, 6)).size };
      return have[4] === want[4] && have[6] === want[6];
    },
    { timeoutMs, intervalMs: 100, what: `${want[4]} IPv4 and ${want[6]} IPv6 learned routes in the kernel of ${node.name}` },
  ).catch((e: unknown) => {
    throw new Error(`${(e as Error).message} (had ${have[4]} and ${have[6]})\n--- meridian log tail ---\n${node.logs()}`);
  });
}

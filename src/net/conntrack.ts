// conntrack adapter. Used to drop flows that a policy change or a released pod IP made stale, so
// an ESTABLISHED entry cannot keep a now-denied connection alive.

import type { Family, NetnsOption } from './ip.js';
import type { Runner } from './runner.js';

export interface FlowFilter extends NetnsOption {
  readonly family: Family;
  readonly src?: string;
  readonly dst?: string;
  readonly protocol?: 'tcp' | 'udp' | 'sctp' | 'icmp' | 'icmpv6';
}

/** Delete matching flows; returns how many were deleted. */
export async function conntrackDelete(run: Runner, f: FlowFilter): Promise<number> {
  const argv = ['conntrack', '-D', '-f', f.family === 6 ? 'ipv6' : 'ipv4'];
  if (f.protocol !== undefined) argv.push('-p', f.protocol);
  if (f.src !== undefined) argv.push('-s', f.src);
  if (f.dst !== undefined) argv.push('-d', f.dst);
  // conntrack exits 1 when no flow matched; that is success for us.
  const r = await run({ argv, netns: f.netns, okExitCodes: [1] });
  return parseDeletedCount(r.stderr, r.exitCode);
}

/** conntrack reports "N flow entries have been deleted." on stderr. */
export function parseDeletedCount(stderr: string, exitCode: number): number {
  const m = /(\d+) flow entries have been deleted/.exec(stderr);
  if (m?.[1] !== undefined) return Number(m[1]);
  if (exitCode === 1) return 0;
  throw new Error(`unexpected conntrack output: ${stderr.trim()}`);
}

export async function conntrackCount(run: Runner, opts: NetnsOption = {}): Promise<number> {
  const r = await run({ argv: ['conntrack', '-C'], netns: opts.netns });
  return Number(r.stdout.trim());
}

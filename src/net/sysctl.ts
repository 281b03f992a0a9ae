// sysctl adapter. Keys use the slash form (net/ipv4/conf/eth0.100/forwarding) when a component
// holds a dot, as VLAN interface names do; sysctl(8) accepts both forms. Values under
// /proc/sys/net belong to the namespace of the process reading them, so running sysctl inside the
// node's namespace is what confines a change to it.

import type { NetnsOption } from './ip.js';
import type { Runner } from './runner.js';

const KEY = /^[A-Za-z0-9_./-]+$/;

function checkKey(key: string): string {
  if (!KEY.test(key) || key.includes('..')) throw new Error(`bad sysctl key ${JSON.stringify(key)}`);
  return key;
}

export async function sysctlGet(run: Runner, key: string, opts: NetnsOption = {}): Promise<string> {
  const r = await run({ argv: ['sysctl', '-n', checkKey(key)], netns: opts.netns });
  return r.stdout.trim();
}

/** Set several keys in one exec. sysctl -w stops at nothing: -e is not used, so a bad key fails. */
export async function sysctlSet(
  run: Runner,
  values: Readonly<Record<string, string | number>>,
  opts: NetnsOption = {},
): Promise<void> {
  const pairs = Object.entries(values).map(([k, v]) => {
    const s = String(v);
    if (/\s/.test(s)) throw new Error(`bad sysctl value ${JSON.stringify(s)} for ${k}`);
    return `${checkKey(k)}=${s}`;
  });
  if (pairs.length === 0) return;
  // -q: sysctl echoes every assignment otherwise.
  await run({ argv: ['sysctl', '-q', '-w', ...pairs], netns: opts.netns });
}

// sysctl adapter. Keys use the slash form (net/ipv4/conf/eth0.100/forwarding) when a component
// holds a dot, as VLAN interface names do; sysctl(8) accepts both forms. Values under
// /proc/sys/net belong to the namespace of the process reading them, so running sysctl inside the
// node's namespace is what confines a change to it.

import type { NetnsOption } from './ip.js';
import { ExecError, type Runner } from './runner.js';

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

/**
 * Does this key exist in the namespace? A kernel booted with ipv6.disable=1 has no net.ipv6 tree
 * at all, and writing a key there fails. sysctl(8) says so on stderr ("cannot stat ...: No such
 * file or directory" from procps, "unknown key" from others) and exits non-zero (1 or 255 by
 * version); any other failure is not an answer and is thrown.
 */
export async function sysctlExists(run: Runner, key: string, opts: NetnsOption = {}): Promise<boolean> {
  const r = await run({ argv: ['sysctl', '-n', checkKey(key)], netns: opts.netns, okExitCodes: [1, 255] });
  if (r.exitCode === 0) return true;
  if (/No such file or directory|unknown key/i.test(r.stderr)) return false;
  throw new ExecError({ argv: r.argv, exitCode: r.exitCode, stderr: r.stderr });
}

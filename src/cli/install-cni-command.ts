// `meridian install-cni`: what the DaemonSet's init container runs. Copies the plugin into the
// CNI bin dir and writes the conflist into the conf dir, both atomically (write a temporary file
// in the same directory, then rename), so kubelet/containerd never exec a half-written binary or
// parse half a config, and a rerun simply replaces both. kubelet and containerd use the
// lexicographically first config file, so ours must sort first; a foreign file sorting before it
// is an error (exit 1) naming that file rather than a silently ignored install.

import { chmod, copyFile, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { DEFAULT_CONFLIST_NAME, renderConflist } from '../cni/conflist.js';

export interface InstallCniOptions {
  readonly confDir: string;
  readonly binDir: string;
  readonly plugin: string;
  readonly confName: string;
  readonly cniVersion: string;
  readonly mtu?: number;
  readonly nodeFile?: string;
  readonly dataDir?: string;
}

const CONFIG_FILE = /\.(conf|conflist|json)$/;

async function atomicWrite(dir: string, name: string, write: (tmp: string) => Promise<void>, mode: number): Promise<string> {
  const dst = join(dir, name);
  // A dot-name the runtime ignores (it loads only .conf/.conflist/.json) while it is incomplete.
  const tmp = join(dir, `.${name}.tmp-${process.pid}`);
  try {
    await write(tmp);
    await chmod(tmp, mode);
    await rename(tmp, dst);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  return dst;
}

export async function installCni(o: InstallCniOptions): Promise<{ binary: string; conflist: string }> {
  await mkdir(o.binDir, { recursive: true });
  await mkdir(o.confDir, { recursive: true });
  const shadowing = (await readdir(o.confDir)).filter((f) => CONFIG_FILE.test(f) && f !== o.confName && f < o.confName).sort();
  if (shadowing.length > 0) {
    throw new Error(`${join(o.confDir, shadowing[0] as string)} sorts before ${o.confName}, so the runtime would use it instead; remove it or pass --conf-name`);
  }
  // Binary first: the config names a plugin that must already be there when the runtime reads it.
  const binary = await atomicWrite(o.binDir, 'meridian-cni', (tmp) => copyFile(o.plugin, tmp), 0o755);
  const doc = renderConflist({
    cniVersion: o.cniVersion,
    ...(o.mtu !== undefined ? { mtu: o.mtu } : {}),
    ...(o.nodeFile !== undefined ? { nodeFile: o.nodeFile } : {}),
    ...(o.dataDir !== undefined ? { dataDir: o.dataDir } : {}),
  });
  const conflist = await atomicWrite(o.confDir, o.confName, (tmp) => writeFile(tmp, JSON.stringify(doc, null, 2) + '\n'), 0o644);
  return { binary, conflist };
}

export function registerInstallCniCommand(program: Command): void {
  program
    .command('install-cni')
    .description('install the meridian-cni plugin and its network config (safe to rerun)')
    .option('--conf-dir <dir>', 'CNI network config directory', '/etc/cni/net.d')
    .option('--bin-dir <dir>', 'CNI plugin binary directory', '/opt/cni/bin')
    .option('--conf-name <file>', 'config file name; must sort first in --conf-dir', DEFAULT_CONFLIST_NAME)
    .option('--cni-version <v>', 'cniVersion of the list (1.1.0 only with chained plugins >= 1.6)', '1.0.0')
    .option('--mtu <n>', 'pod MTU (default: the uplink MTU, detected per ADD)', (v) => Number.parseInt(v, 10))
    .option('--node-file <path>', 'node file written by the agent')
    .option('--data-dir <dir>', 'IPAM state directory')
    .option('--plugin <file>', 'plugin to install (default: meridian-cni.cjs beside this program)')
    .action(async (opts: { confDir: string; binDir: string; confName: string; cniVersion: string; mtu?: number; nodeFile?: string; dataDir?: string; plugin?: string }) => {
      const plugin = opts.plugin ?? fileURLToPath(new URL('./meridian-cni.cjs', import.meta.url));
      const r = await installCni({ ...opts, plugin });
      process.stdout.write(`installed ${r.binary}\nwrote ${r.conflist}\n`);
    });
}

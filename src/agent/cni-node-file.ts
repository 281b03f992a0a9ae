// The CNI node file (format in src/cni/ipam/node-file.ts): this node's name and podCIDRs, so
// meridian-cni can allocate from `usePodCidr` ranges without ever calling the API server.
// Written atomically (temporary file + rename in the same directory), because the plugin may
// read it at any moment; rewritten only when the content changes.

import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';

export function renderNodeFile(nodeName: string, podCIDRs: readonly string[]): string {
  return JSON.stringify({ nodeName, podCIDRs }) + '\n';
}

/** Write the file if its content differs; true when it was written. */
export async function writeNodeFile(path: string, nodeName: string, podCIDRs: readonly string[]): Promise<boolean> {
  const text = renderNodeFile(nodeName, podCIDRs);
  const current = await readFile(path, 'utf8').catch(() => undefined);
  if (current === text) return false;
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  await writeFile(tmp, text, { mode: 0o644 });
  await rename(tmp, path);
  return true;
}

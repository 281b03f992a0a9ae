// Writes the CNI node file (src/cni/ipam/node-file.ts reads it): this node's name and podCIDRs,
// which meridian-cni needs for "usePodCidr" without calling the API server. Written to a temporary
// file in the same directory and renamed over the old one, so a plugin exec never reads half a
// file. Unchanged content is not rewritten (the files datastore reloads on every manifest change).

import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import type { Logger } from '../logging/logger.js';

export interface NodeFileContent {
  readonly nodeName: string;
  readonly podCIDRs: readonly string[];
}

/** The exact bytes of the file: stable, so "unchanged" is a string compare. Pure. */
export function renderNodeFile(c: NodeFileContent): string {
  return JSON.stringify({ nodeName: c.nodeName, podCIDRs: [...c.podCIDRs] }) + '\n';
}

let writes = 0;

/** Write the node file if its content differs; returns whether it was written. */
export async function writeNodeFile(path: string, c: NodeFileContent): Promise<boolean> {
  const text = renderNodeFile(c);
  const old = await readFile(path, 'utf8').catch(() => undefined);
  if (old === text) return false;
  await mkdir(dirname(path), { recursive: true });
  // Unique per write, not only per process: two writes in flight must not share a temporary file.
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${++writes}.tmp`);
  await writeFile(tmp, text, { mode: 0o644 });
  await rename(tmp, path);
  return true;
}

/**
 * writeNodeFile for the daemons: logs what happened; a failure is logged and counted, not thrown.
 * True when the file now holds `c`.
 */
export async function publishNodeFile(path: string, c: NodeFileContent, log: Logger, onError: () => void): Promise<boolean> {
  try {
    if (await writeNodeFile(path, c)) log.info({ path, podCIDRs: c.podCIDRs }, 'CNI node file written');
    return true;
  } catch (e) {
    log.error({ err: e, path }, 'CNI node file could not be written');
    onError();
    return false;
  }
}

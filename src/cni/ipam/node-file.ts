// The node file: what the agent knows about this node and the plugin needs without the API
// server. Written by the agent (atomically, write + rename) as JSON:
//   {"nodeName": "node-1", "podCIDRs": ["10.244.1.0/24", "fd00:10:244:1::/64"]}
// podCIDRs mirrors Node.spec.podCIDRs. A missing file means the agent has not started yet: code 11
// on ADD (the runtime retries), code 50 on STATUS. A file that is there but unreadable or not the
// expected JSON is code 105, the plugin's own: it is not network config (code 7), not stdin (the
// spec's code 5 is for reading the config), and the agent writes it atomically, so it will not fix
// itself by retrying (code 11).

import { readFile } from 'node:fs/promises';
import { CNI_CODES, CniError } from '../errors.js';

export interface NodeFile {
  readonly nodeName: string | undefined;
  readonly podCIDRs: readonly string[];
}

export function parseNodeFile(text: string, path: string): NodeFile {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new CniError(CNI_CODES.nodeFileInvalid, `node file ${path} is not valid JSON`, e instanceof Error ? e.message : '');
  }
  const o = typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>) : {};
  const cidrs = o['podCIDRs'];
  if (!Array.isArray(cidrs) || !cidrs.every((c) => typeof c === 'string')) {
    throw new CniError(CNI_CODES.nodeFileInvalid, `node file ${path}: podCIDRs must be a list of CIDR strings`);
  }
  return { nodeName: typeof o['nodeName'] === 'string' ? o['nodeName'] : undefined, podCIDRs: cidrs as string[] };
}

export async function readNodeFile(path: string): Promise<NodeFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CniError(
      code === 'ENOENT' ? CNI_CODES.tryAgainLater : CNI_CODES.nodeFileInvalid,
      code === 'ENOENT' ? `node file ${path} does not exist yet (is the meridian agent running?)` : `cannot read node file ${path}`,
      e instanceof Error ? e.message : '',
    );
  }
  return parseNodeFile(text, path);
}

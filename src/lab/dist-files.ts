// The lab starts sibling binaries of the running bundle (dist/meridian.js): the agent, the CNI
// plugin and the pod server. From the sources (tests importing src/lab) they are in ../../dist.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function distFile(name: string): string {
  for (const rel of [`./${name}`, `../../dist/${name}`]) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new Error(`${name} not found next to ${fileURLToPath(import.meta.url)}: run npm run build`);
}

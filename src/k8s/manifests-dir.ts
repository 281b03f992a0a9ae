// The thin edge of the files datastore: read every manifest in a directory (recursively, sorted,
// so the result does not depend on readdir order) and hand the text to the pure parser.

import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { MeridianError } from '../errors.js';
import { dedupe, parseManifests, type ManifestProblem } from './manifests.js';
import type { KubeObject } from './objects.js';
import type { Secret } from './secret.js';

export class ManifestDirError extends MeridianError {
  readonly code = 'MANIFEST_DIR';
  readonly path: string;
  constructor(path: string, message: string, cause?: unknown) {
    super(`${path}: ${message}`, { cause });
    this.path = path;
  }
}

const EXTENSIONS = /\.(ya?ml|json)$/i;

async function files(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const out: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await files(p)));
    else if (EXTENSIONS.test(e.name)) out.push(p);
  }
  return out.sort();
}

export async function readManifestDir(dir: string): Promise<{ objects: KubeObject[]; problems: ManifestProblem[]; secrets: Secret[] }> {
  let list: string[];
  try {
    list = await files(dir);
  } catch (e) {
    throw new ManifestDirError(dir, `cannot read manifests directory: ${(e as Error).message}`, e);
  }
  const objects: KubeObject[] = [];
  const problems: ManifestProblem[] = [];
  const secrets = new Map<string, Secret>();
  for (const f of list) {
    const r = parseManifests(await readFile(f, 'utf8'), relative(dir, f) || f);
    objects.push(...r.objects);
    problems.push(...r.problems);
    // Later definitions win, as for the objects.
    for (const s of r.secrets) secrets.set(`${s.namespace}/${s.name}`, s);
  }
  return { objects: dedupe(objects), problems, secrets: [...secrets.values()] };
}

// The lab's cluster objects in files-datastore mode: one manifest file per object in
// <dir>/objects, which every node's agent watches (DESIGN.md "Datastore files"). Writes are
// atomic (a dot-file renamed into place; the datastore skips dot-files), so an agent never reads
// half an object. Also: reading user manifests for `lab apply -f`, and waiting until every agent
// reports the view digest the lab expects.

import { readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseAllDocuments } from 'yaml';
import type { AgentStatus } from '../agent/agent.js';
import { fetchStatus } from '../agent/status-client.js';
import { KINDS } from '../k8s/kinds.js';

export type Doc = Record<string, unknown>;

export interface DocRef {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}


export function refOf(doc: Doc): DocRef {
  const kind = typeof doc['kind'] === 'string' ? doc['kind'] : '';
  const md = (doc['metadata'] ?? {}) as Record<string, unknown>;
  const name = typeof md['name'] === 'string' ? md['name'] : '';
  const namespace = KINDS.find((k) => k.kind === kind)?.namespaced === true ? (typeof md['namespace'] === 'string' && md['namespace'] !== '' ? md['namespace'] : 'default') : '';
  return { kind, namespace, name };
}

export const refKey = (r: DocRef): string => (r.namespace !== '' ? `${r.kind} ${r.namespace}/${r.name}` : `${r.kind} ${r.name}`);

const fileName = (r: DocRef): string => `${r.kind.toLowerCase()}_${r.namespace || '-'}_${r.name}.json`;

export function writeObject(objectsDir: string, doc: Doc): void {
  const r = refOf(doc);
  const tmp = join(objectsDir, `.${fileName(r)}.tmp`);
  writeFileSync(tmp, JSON.stringify(doc, null, 2) + '\n');
  renameSync(tmp, join(objectsDir, fileName(r)));
}

export function removeObject(objectsDir: string, r: DocRef): boolean {
  const f = join(objectsDir, fileName(r));
  try {
    statSync(f);
  } catch {
    return false;
  }
  rmSync(f, { force: true });
  return true;
}

export function listObjects(objectsDir: string): Doc[] {
  return readdirSync(objectsDir)
    .filter((f) => !f.startsWith('.') && f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(objectsDir, f), 'utf8')) as Doc);
}

/** Manifests from a file or a directory (YAML, multi-document, or JSON; `List` kinds unpacked). */
export function readManifestPath(path: string): { docs: Doc[]; problems: string[] } {
  const files = statSync(path).isDirectory()
    ? readdirSync(path)
        .filter((f) => /\.(ya?ml|json)$/.test(f) && !f.startsWith('.'))
        .sort()
        .map((f) => join(path, f))
    : [path];
  const docs: Doc[] = [];
  const problems: string[] = [];
  for (const f of files) {
    const all = parseAllDocuments(readFileSync(f, 'utf8'));
    all.forEach((d, i) => {
      if (d.errors.length > 0) {
        problems.push(`${f}#${i}: ${d.errors[0]?.message ?? 'YAML error'}`);
        return;
      }
      const v = d.toJS() as unknown;
      if (v === null || v === undefined) return;
      if (typeof v !== 'object' || Array.isArray(v)) {
        problems.push(`${f}#${i}: not an object`);
        return;
      }
      const doc = v as Doc;
      if (doc['kind'] === 'List' && Array.isArray(doc['items'])) docs.push(...(doc['items'] as Doc[]));
      else docs.push(doc);
    });
  }
  return { docs, problems };
}

/** Wait until every agent reports `digest` as applied; the error names the nodes still behind. */
export async function waitApplied(sockets: ReadonlyMap<string, string>, digest: () => Promise<string>, timeoutMs = 30_000): Promise<number> {
  const start = Date.now();
  let want = await digest();
  let behind: string[] = [...sockets.keys()];
  let checks = 0;
  while (Date.now() - start < timeoutMs) {
    const states = await Promise.all(
      [...sockets].map(async ([node, sock]) => {
        const st = (await fetchStatus(sock).catch(() => undefined)) as AgentStatus | undefined;
        return [node, st?.applied?.digest === want] as const;
      }),
    );
    behind = states.filter(([, ok]) => !ok).map(([n]) => n);
    if (behind.length === 0) return Date.now() - start;
    // Something else may have changed the objects meanwhile (another apply): follow it.
    if (++checks % 20 === 0) want = await digest();
    await sleep(25);
  }
  throw new Error(`agents on ${behind.join(', ')} did not apply the change within ${timeoutMs / 1000} s (see their logs under the lab's nodes/ directory)`);
}

// The files datastore: the directory is the source of truth. Each change arrives as one replace
// of everything; removing a file removes its objects; a bad document is reported and skipped.

import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DatastoreEvent } from '../../../src/k8s/datastore.js';
import { FilesDatastore } from '../../../src/k8s/files-datastore.js';
import { WATCHED_KINDS } from '../../../src/k8s/kinds.js';
import { waitFor } from '../../harness/wait.js';

let dir: string | undefined;
let ds: FilesDatastore | undefined;
afterEach(async () => {
  await ds?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  ds = dir = undefined;
});

const lastReplace = (events: DatastoreEvent[]) => {
  const r = events.filter((e) => e.type === 'replace').at(-1);
  return r?.type === 'replace' ? r : undefined;
};

describe('FilesDatastore', () => {
  it('emits the directory as one snapshot, syncs every kind once, follows file changes and removals', async () => {
    const d = (dir = mkdtempSync(join(tmpdir(), 'mrd-files-')));
    writeFileSync(join(d, 'nodes.yaml'), 'kind: Node\nmetadata: {name: n1}\n---\nkind: Node\nmetadata: {name: n2}\n');
    writeFileSync(join(d, 'peer.yaml'), 'apiVersion: meridian.io/v1\nkind: BGPPeer\nmetadata: {name: bad}\nspec: {peerIP: 10.0.0.300, asNumber: 65000}\n');
    const events: DatastoreEvent[] = [];
    ds = new FilesDatastore({ dir: d, debounceMs: 10 });
    ds.start((e) => events.push(e));
    await waitFor(() => events.some((e) => e.type === 'synced'), { timeoutMs: 5000, what: 'the first read' });
    expect(events.filter((e) => e.type === 'synced').map((e) => (e.type === 'synced' ? e.kind : ''))).toEqual(WATCHED_KINDS);
    expect(lastReplace(events)?.objects.map((o) => o.name)).toEqual(['n1', 'n2']);
    expect(lastReplace(events)?.problems).toEqual([expect.objectContaining({ kind: 'BGPPeer', name: 'bad', source: 'peer.yaml#0' })]);

    writeFileSync(join(d, 'ns.yaml'), 'kind: Namespace\nmetadata: {name: x}\n');
    await waitFor(() => lastReplace(events)?.objects.length === 3, { timeoutMs: 5000, what: 'the new file' });
    unlinkSync(join(d, 'nodes.yaml'));
    await waitFor(() => lastReplace(events)?.objects.map((o) => o.name).join() === 'x', { timeoutMs: 5000, what: 'the removed file\'s objects to go' });
    expect(events.filter((e) => e.type === 'synced')).toHaveLength(WATCHED_KINDS.length);
  });

  it('keeps the last content while the directory is unreadable, and reports it', async () => {
    const d = (dir = mkdtempSync(join(tmpdir(), 'mrd-files-')));
    const errors: unknown[] = [];
    ds = new FilesDatastore({ dir: join(d, 'missing'), debounceMs: 10, onError: (e) => errors.push(e) });
    const events: DatastoreEvent[] = [];
    ds.start((e) => events.push(e));
    await waitFor(() => errors.length > 0, { timeoutMs: 5000, what: 'the read error' });
    expect(events).toEqual([]);
    expect(ds.status().kinds['Node']).toMatchObject({ synced: false, connected: false, errors: 1 });
  });
});

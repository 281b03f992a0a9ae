import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { renderNodeFile, writeNodeFile } from '../../../src/agent/node-file.js';
import { parseNodeFile } from '../../../src/cni/ipam/node-file.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('CNI node file (agent side)', () => {
  it('is what the plugin parses, written once per change, creating its directory', async () => {
    const d = mkdtempSync(join(tmpdir(), 'mrd-nf-'));
    dirs.push(d);
    const path = join(d, 'sub', 'node.json');
    const c = { nodeName: 'node-a', podCIDRs: ['10.244.1.0/24', 'fd00:10:244:1::/64'] };
    expect(await writeNodeFile(path, c)).toBe(true);
    expect(parseNodeFile(readFileSync(path, 'utf8'), path)).toEqual(c);
    const mtime = statSync(path).mtimeMs;
    expect(await writeNodeFile(path, c)).toBe(false);
    expect(statSync(path).mtimeMs).toBe(mtime);
    expect(await writeNodeFile(path, { ...c, podCIDRs: ['10.244.9.0/24'] })).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe(renderNodeFile({ nodeName: 'node-a', podCIDRs: ['10.244.9.0/24'] }));
  });
});

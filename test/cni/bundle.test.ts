// The plugin bundle stays light: it is started once per pod per verb, so no logger, schema library,
// CLI framework, execa or koffi may reach it (src/cni/main.ts). Reads the built bundle (npm test builds
// first), where esbuild marks every bundled module's path in a comment.

import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('dist/meridian-cni.cjs', () => {
  it('bundles no npm dependency', async () => {
    const text = await readFile(resolve(import.meta.dirname, '../../dist/meridian-cni.cjs'), 'utf8');
    expect(text.match(/^\/\/ node_modules\/[^\n]*/gm) ?? []).toEqual([]);
    expect(text).not.toMatch(/pino|zod|commander|execa|koffi/);
  });
});

describe('dist/meridian.js', () => {
  it('leaves koffi (a native module, for TCP MD5) out of the bundle, to be required at run time', async () => {
    const text = await readFile(resolve(import.meta.dirname, '../../dist/meridian.js'), 'utf8');
    expect(text).not.toMatch(/^\/\/ node_modules\/koffi\//m);
    expect(text).toContain('createRequire(import.meta.url)("koffi")');
  });
});

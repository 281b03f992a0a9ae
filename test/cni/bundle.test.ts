// The plugin bundle stays light: it is started once per pod per verb, so no logger, schema library,
// CLI framework or execa may reach it (src/cni/main.ts). Reads the built bundle (npm test builds
// first), where esbuild marks every bundled module's path in a comment.

import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('dist/meridian-cni.cjs', () => {
  it('bundles no npm dependency', async () => {
    const text = await readFile(resolve(import.meta.dirname, '../../dist/meridian-cni.cjs'), 'utf8');
    expect(text.match(/^\/\/ node_modules\/[^\n]*/gm) ?? []).toEqual([]);
    expect(text).not.toMatch(/pino|zod|commander|execa/);
  });
});

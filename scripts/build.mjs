// Bundles each binary into one ESM file under dist/. One file per binary because the CNI plugin is
// exec'd once per pod per verb: resolving and reading dozens of node_modules files at every start
// costs more than the plugin's work. The require() shim lets bundled CommonJS dependencies
// (pino, yaml) load Node built-ins from an ESM bundle.
import { build } from 'esbuild';
import { readFile, rm, chmod } from 'node:fs/promises';

const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));

const entries = [
  { in: 'src/cli/main.ts', out: 'meridian' },
  { in: 'src/cni/main.ts', out: 'meridian-cni' },
];

await rm('dist', { recursive: true, force: true });
const result = await build({
  entryPoints: entries.map((e) => ({ in: e.in, out: e.out })),
  outdir: 'dist',
  outExtension: { '.js': '.js' },
  bundle: true,
  splitting: false,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
  define: { __MERIDIAN_VERSION__: JSON.stringify(pkg.version) },
  banner: {
    js: [
      '#!/usr/bin/env node',
      "import { createRequire as __meridianCreateRequire } from 'node:module';",
      'const require = __meridianCreateRequire(import.meta.url);',
    ].join('\n'),
  },
});

for (const e of entries) await chmod(`dist/${e.out}.js`, 0o755);
for (const [file, out] of Object.entries(result.metafile.outputs)) {
  if (file.endsWith('.js')) console.log(`${file}  ${(out.bytes / 1024).toFixed(1)} KiB`);
}

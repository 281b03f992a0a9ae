// Bundles each binary into one file under dist/. One file per binary because the CNI plugin is
// exec'd once per pod per verb: resolving and reading dozens of node_modules files at every start
// costs more than the plugin's work. The require() shim lets bundled CommonJS dependencies
// (pino, yaml) load Node built-ins from the ESM bundle.
import { build } from 'esbuild';
import { readFile, rm, chmod } from 'node:fs/promises';

const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));

// meridian-cni is CommonJS: Node starts a .cjs file ~14 ms faster than an ES module (no ESM loader
// to set up), measured here as 23 ms vs 37 ms for an empty file; on a per-pod exec path that is
// a third of the budget. The meridian CLI stays ESM because execa and friends are ESM-only.
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
  define: { __MERIDIAN_VERSION__: JSON.stringify(pkg.version) },
  // koffi (TCP MD5, src/net/tcp-md5.ts) loads a native .node file relative to its own package, so
  // it cannot be inlined: it stays a run-time require() resolved from node_modules beside dist/.
  external: ['koffi'],
};
const requireShim = [
  "import { createRequire as __meridianCreateRequire } from 'node:module';",
  'const require = __meridianCreateRequire(import.meta.url);',
].join('\n');
const entries = [
  {
    in: 'src/cli/main.ts',
    out: 'dist/meridian.js',
    format: 'esm',
    banner: `#!/usr/bin/env node\n${requireShim}`,
  },
  { in: 'src/cni/main.ts', out: 'dist/meridian-cni.cjs', format: 'cjs', banner: '#!/usr/bin/env node' },
  // The lab's (and the tests') per-pod server and prober: Node built-ins only, one per pod.
  { in: 'src/lab/pod-server-main.ts', out: 'dist/meridian-lab-pod.cjs', format: 'cjs', banner: '#!/usr/bin/env node' },
  // The lab's byte forwarder to the API server (src/lab/forward.ts), one per node namespace:
  // node:net only, so it starts in tens of ms.
  { in: 'src/lab/forward-main.ts', out: 'dist/meridian-forward.mjs', format: 'esm', banner: '#!/usr/bin/env node' },
  // The lab's GoBGP router has no FIB of its own; this process keeps its kernel routes in step
  // (src/lab/routers/gobgp-fib.ts). startRouter finds it next to dist/meridian.js.
  { in: 'src/lab/routers/gobgp-fib-main.ts', out: 'dist/meridian-gobgp-fib.mjs', format: 'esm', banner: requireShim },
  // The policy bench (npm run bench:policy) runs the real engine from one bundle, no TS loader needed.
  { in: 'bench/policy/main.ts', out: 'dist/bench/policy.mjs', format: 'esm', banner: requireShim },
  // The BGP ingest bench (npm run bench:bgp) drives dist/meridian.js and the daemons through the
  // test harness; bundled here so it runs without a TS loader. It finds ../../dist/meridian.js
  // from dist/bench/, the same relative path the harness uses from test/harness/.
  { in: 'bench/bgp-ingest.ts', out: 'dist/bench/bgp-ingest.mjs', format: 'esm', banner: requireShim },
  // The route programming bench (npm run bench:routes) drives real daemons through the test harness.
  { in: 'bench/routes-program/main.ts', out: 'dist/bench/routes-program.mjs', format: 'esm', banner: requireShim },
];

await rm('dist', { recursive: true, force: true });
const outputs = {};
for (const e of entries) {
  const r = await build({ ...common, entryPoints: [e.in], outfile: e.out, format: e.format, banner: { js: e.banner } });
  Object.assign(outputs, r.metafile.outputs);
}

for (const e of entries) if (e.banner.startsWith('#!')) await chmod(e.out, 0o755);
for (const [file, out] of Object.entries(outputs)) {
  if (/\.[cm]?js$/.test(file)) console.log(`${file}  ${(out.bytes / 1024).toFixed(1)} KiB`);
}

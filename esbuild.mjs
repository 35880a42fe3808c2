// Builds every bundle of Sightline:
//   dist/extension.js   VS Code extension host code (CommonJS, `vscode` external)
//   dist/sightline.js   daemon + CLI + language server (one Node entry, native modules external)
//   dist/webviews/*.js  browser code of each webview panel (IIFE)
// Modes: default (sourcemaps), --production (minified, no sources), --watch (rebuild on change).
// Errors are printed in esbuild's "file:line:col: error: msg" form, which the
// `$esbuild-watch` problem matcher (connor4312.esbuild-problem-matchers) and the one
// declared in .vscode/tasks.json understand.
import * as esbuild from 'esbuild';
import { existsSync, readdirSync, mkdirSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** Prints build start/end in the shape problem matchers look for. */
const problemMatcherPlugin = {
  name: 'problem-matcher',
  setup(build) {
    build.onStart(() => { if (watch) console.log('[watch] build started'); });
    build.onEnd((result) => {
      for (const { text, location } of result.errors) {
        console.error(`✘ [ERROR] ${text}`);
        if (location) console.error(`    ${location.file}:${location.line}:${location.column}:`);
      }
      if (watch) console.log('[watch] build finished');
    });
  },
};

const common = {
  bundle: true,
  minify: production,
  sourcemap: production ? false : 'linked',
  sourcesContent: false,
  logLevel: 'warning',
  plugins: [problemMatcherPlugin],
  define: { __SIGHTLINE_VERSION__: JSON.stringify(JSON.parse(readFileSync('package.json', 'utf8')).version) },
};

// Native modules and optional ws accelerators stay outside the bundle.
const nodeExternals = ['onnxruntime-node', '@duckdb/node-api', '@duckdb/node-bindings', 'bufferutil', 'utf-8-validate', 'vscode'];

const webviewDir = 'webviews/panels';
const webviewEntries = existsSync(webviewDir)
  ? readdirSync(webviewDir).filter((f) => f.endsWith('.ts')).map((f) => path.join(webviewDir, f))
  : [];

const configs = [
  { ...common, entryPoints: ['daemon/cli/main.ts'], outfile: 'dist/sightline.js', platform: 'node', format: 'cjs', target: 'node20', external: nodeExternals },
];
// The sample's demo app (`npm run demo`): the user's side of the integration, bundled with its
// serving feature code.
configs.push({ ...common, entryPoints: ['samples/flights/demo/run.ts'], outfile: 'dist/demo.js', platform: 'node', format: 'cjs', target: 'node20', external: nodeExternals });
// Benchmarks (`npm run bench`): every test/bench/*-bench.ts, run in turn by test/bench/run.mjs.
const benchEntries = readdirSync('test/bench').filter((f) => f.endsWith('-bench.ts')).map((f) => path.join('test/bench', f));
configs.push({ ...common, entryPoints: benchEntries, outdir: 'dist/bench', platform: 'node', format: 'cjs', target: 'node20', external: nodeExternals });
// Long robustness runs (`npm run stress`): 100k-mutation protocol fuzz, SIGKILL cycles, soak.
if (existsSync('test/stress/main.ts')) configs.push({ ...common, entryPoints: ['test/stress/main.ts'], outfile: 'dist/stress/stress.js', platform: 'node', format: 'cjs', target: 'node20', external: nodeExternals });
// The sample's serving feature path as a transform command (`sightline replay|eval --transform`).
configs.push({ ...common, entryPoints: ['samples/flights/scripts/serving-features.ts'], outfile: 'dist/samples/serving-features.js', platform: 'node', format: 'cjs', target: 'node20' });
if (existsSync('extension/main.ts')) {
  configs.push({ ...common, entryPoints: ['extension/main.ts'], outfile: 'dist/extension.js', platform: 'node', format: 'cjs', target: 'node20', external: nodeExternals });
}
// Webviews get `zod` as webviews/shared/zod-lite.ts (named imports of zod classic): `z` of the
// package is a namespace esbuild cannot shake, which put all of zod's locales and JSON Schema code
// into every panel. The shim's own `zod` import resolves to the package as usual.
const zodLite = existsSync('webviews/shared/zod-lite.ts') ? realpathSync('webviews/shared/zod-lite.ts') : '';
const zodLitePlugin = {
  name: 'zod-lite',
  setup(build) {
    build.onResolve({ filter: /^zod$/ }, (args) => (realpathSync(args.importer) === zodLite ? undefined : { path: zodLite }));
  },
};
if (webviewEntries.length > 0) {
  configs.push({ ...common, plugins: [...common.plugins, ...(zodLite ? [zodLitePlugin] : [])], entryPoints: webviewEntries, outdir: 'dist/webviews', platform: 'browser', format: 'iife', target: 'es2022' });
}

mkdirSync('dist', { recursive: true });
if (watch) {
  const contexts = await Promise.all(configs.map((c) => esbuild.context(c)));
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  try {
    await Promise.all(configs.map((c) => esbuild.build(c)));
  } catch {
    process.exit(1);
  }
}

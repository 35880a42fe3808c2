// Bundles the @vscode/test-electron runner and suite into dist/test-electron (CommonJS, `vscode`
// external): `npm run test:electron` then runs dist/test-electron/run.js.
import * as esbuild from 'esbuild';

await esbuild.build({
  entryPoints: { run: 'test/electron/run.ts', suite: 'test/electron/suite.ts' },
  outdir: 'dist/test-electron',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'inline',
  external: ['vscode', '@vscode/test-electron'],
  logLevel: 'warning',
});

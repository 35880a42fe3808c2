// Runs every test tier that CI runs and prints one closing line `N passed, N failed`
// (CI reads that line, not vitest's own summary). Tiers: unit, integration, webviews (headless
// Chromium) and e2e (code-server), all vitest projects; browsers and code-server are set up first.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';

mkdirSync('test-results', { recursive: true });
const report = 'test-results/vitest.json';
rmSync(report, { force: true });

const args = process.argv.slice(2);
const projects = args.flatMap((a, i) => (a === '--project' ? [args[i + 1]] : a.startsWith('--project=') ? [a.slice('--project='.length)] : []));
// The webview and e2e tiers drive Debian's Chromium: install it when missing (a fresh machine).
if (projects.length === 0 || projects.includes('e2e') || projects.includes('webviews')) {
  const setup = spawnSync('bash', ['test/setup-chromium.sh'], { stdio: 'inherit' });
  if (setup.status !== 0) console.error(`test/setup-chromium.sh failed (${setup.status ?? setup.signal}); the browser tests will fail to launch Chromium`);
}
// The e2e tier drives a real VS Code (code-server): install it into its cache folder first when
// that tier runs (no --project given, or --project e2e). A failed setup is reported; the e2e tests
// then fail on their own prerequisites check.
if (projects.length === 0 || projects.includes('e2e')) {
  const setup = spawnSync('bash', ['test/e2e/setup-code-server.sh'], { stdio: 'inherit' });
  if (setup.status !== 0) console.error(`test/e2e/setup-code-server.sh failed (${setup.status ?? setup.signal}); the e2e tests will report what is missing`);
}

const vitest = spawnSync(
  process.execPath,
  ['node_modules/vitest/vitest.mjs', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)],
  { stdio: 'inherit', env: { ...process.env, FORCE_COLOR: process.env.CI ? '0' : process.env.FORCE_COLOR } },
);

let passed = 0;
let failed = 0;
let skipped = 0;
if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  passed += r.numPassedTests ?? 0;
  failed += (r.numFailedTests ?? 0) + (r.numRuntimeErrorTestSuites ?? 0);
  skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  // A suite that failed to load has no tests to count: count it as a failure.
  for (const file of r.testResults ?? []) {
    if (file.status === 'failed' && (file.assertionResults ?? []).length === 0) failed += 1;
  }
} else {
  failed += 1;
  console.error('vitest wrote no report; counting the run as failed');
}
if (vitest.status !== 0 && failed === 0) failed = 1;

console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);

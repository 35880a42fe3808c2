import { defineConfig } from 'vitest/config';

// The tiers `npm test` runs (see test/run-all.mjs): pure-logic unit tests; integration tests against
// real DuckDB files, real onnxruntime-node sessions and a real daemon process; webviews in headless
// Chromium; end to end in code-server.
export default defineConfig({
  test: {
    // 2-core machines: two files at a time keeps daemons and DuckDB from starving each other.
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          // Unit tests run beside integration daemons on 2 cores: a CPU-bound property test that
          // takes 1 s alone took 11 s there and hit vitest's 5 s default. Nothing here is timed.
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
          pool: 'forks',
        },
      },
      {
        test: {
          // Webview bundles (dist/webviews) in headless Chromium against a real daemon.
          name: 'webviews',
          include: ['test/webviews/**/*.test.ts'],
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 180_000,
          pool: 'forks',
        },
      },
      {
        test: {
          // End to end: the packaged .vsix in code-server (real VS Code) driven by Playwright in
          // Chromium; test/run-all.mjs installs code-server first (test/e2e/setup-code-server.sh).
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 300_000,
          hookTimeout: 600_000,
          pool: 'forks',
        },
      },
    ],
  },
});

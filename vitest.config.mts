import { defineConfig } from 'vitest/config';

// Two tiers run by `npm test` (see test/run-all.mjs): pure-logic unit tests, and integration
// tests against real DuckDB files, real onnxruntime-node sessions and a real daemon process.
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

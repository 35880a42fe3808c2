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
    ],
  },
});

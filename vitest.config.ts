import { defineConfig } from 'vitest/config';

/**
 * Three projects, by what a test needs (`vitest run --project NAME`; plain `vitest run` runs all):
 * - unit: test/unit, pure TypeScript: no Python, no bubblewrap, no build, no network.
 * - integration: test/integration and test/adapters, against real things (Python under
 *   bubblewrap, loopback AWS servers, the CLI from dist/, headless chromium).
 * - reliability: test/reliability, faults, load, hostile code and fuzzing
 *   (`npm run test:reliability` also regenerates docs/reliability.md).
 */
export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Sandboxes are real processes; two cores are shared between them.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/adapters/**/*.test.ts'],
        },
      },
      { extends: true, test: { name: 'reliability', include: ['test/reliability/**/*.test.ts'] } },
    ],
  },
});

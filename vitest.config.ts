import { defineConfig } from 'vitest/config';

/**
 * Two projects:
 * - unit: tests beside the code (`libs/**`, `services/**`, `cli/**`), no external servers;
 * - integration: `tests/**`, against a real Kafka broker and a real S3 server that
 *   tests/servers/global-setup.ts starts (and provisions, cached) before the run and stops after.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['libs/**/*.test.ts', 'services/**/*.test.ts', 'cli/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          pool: 'forks',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['tests/**/*.test.ts'],
          globalSetup: ['tests/servers/global-setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          pool: 'forks',
          fileParallelism: false,
        },
      },
    ],
  },
});

import { defineConfig } from 'vitest/config';

/**
 * Three projects:
 * - unit: tests beside the code (`libs/**`, `services/**`, `cli/**`), no external servers;
 * - unit-wasm: the engine's op tests again on the wasm backend (tfjs runs its op tests on every
 *   backend; one backend per process, so a project of its own with DERMAGAN_TF_BACKEND=wasm);
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
          name: 'unit-wasm',
          include: ['libs/gan/src/ops/*.test.ts'],
          env: { DERMAGAN_TF_BACKEND: 'wasm' },
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

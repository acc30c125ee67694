import { defineConfig } from 'vitest/config';

/**
 * Three projects:
 * - unit: tests beside the code (`libs/**`, `services/**`, `cli/**`), no external servers;
 * - unit-wasm: the engine's op tests again on the wasm backend (tfjs runs its op tests on every
 *   backend; one backend per process, so a project of its own with DERMAGAN_TF_BACKEND=wasm);
 * - integration: `tests/**`, against a real Kafka broker and a real S3 server that
 *   tests/servers/global-setup.ts starts (and provisions, cached) before the run and stops after.
 * Each run's temp files go to one folder removed at its end (tests/run-temp.ts).
 */
export default defineConfig({
  test: {
    // Stopping the integration servers (Kafka, MinIO, PostgreSQL, the control plane) takes longer than vitest's default 10 s.
    teardownTimeout: 60_000,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['libs/**/*.test.ts', 'services/**/*.test.ts', 'cli/**/*.test.ts'],
          globalSetup: ['tests/run-temp.ts'],
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
          globalSetup: ['tests/run-temp.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          pool: 'forks',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['tests/**/*.test.ts'],
          // run-temp first: torn down last, after the servers whose data it holds have stopped.
          globalSetup: ['tests/run-temp.ts', 'tests/servers/global-setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          pool: 'forks',
          fileParallelism: false,
        },
      },
    ],
  },
});

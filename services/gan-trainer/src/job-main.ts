/**
 * Entry point of a training Job's container (SERVICE=gan-trainer DERMAGAN_ENTRY=job-main): trains
 * the request in DERMAGAN_TRAINING_REQUEST (job-worker.ts), serving /metrics meanwhile, and exits
 * as job-process.ts says: 0 when done, 2 when the request is invalid (the Job's podFailurePolicy
 * fails the Job without retries), 75 when SIGTERM interrupted it (checkpointed; a replacement pod
 * resumes), 1 otherwise (counted against the Job's backoffLimit, then the launcher's successor Jobs).
 */
import { join } from 'node:path';
import { TRAINING_JOB } from '@dermagan/contracts';
import { BaseConfig, FolderCache, loadConfig } from '@dermagan/runtime';
import { loadTf } from '@dermagan/tf';
import { runJobProcess } from './job-process.ts';
import { runTrainingJob } from './job-worker.ts';
import { trainingMetrics } from './training-metrics.ts';

const config = loadConfig(BaseConfig, { defaults: { service: 'gan-trainer-job', shutdownGraceS: 120 } });
const backend = await loadTf(config.tfBackend);
await runJobProcess(
  config,
  { done: () => 'training done', invalid: 'invalid training request: not retried', interrupted: 'training interrupted; it resumes from the checkpoint', failed: 'training failed' },
  ({ bus, store, registry }, signal) =>
    runTrainingJob(process.env[TRAINING_JOB.requestEnv], {
      store,
      folders: new FolderCache(store, join(config.workDir, 'folders')),
      workDir: config.workDir,
      backend,
      ...trainingMetrics(registry),
      publish: (e) => bus.publish(e),
      signal,
    }),
);

/**
 * Entry point of a training Job's container (SERVICE=gan-trainer DERMAGAN_ENTRY=job-main): trains
 * the request in DERMAGAN_TRAINING_REQUEST (job-worker.ts), serving /metrics meanwhile, and exits
 * 0 when done, 2 when the request is invalid (the Job's podFailurePolicy fails the Job without
 * retries), 75 when SIGTERM interrupted it (checkpointed; a replacement pod resumes), 1 otherwise
 * (counted against the Job's backoffLimit, then the launcher's successor Jobs).
 */
import { join } from 'node:path';
import { TRAINING_JOB } from '@dermagan/contracts';
import { BaseConfig, FolderCache, loadConfig, startService } from '@dermagan/runtime';
import { loadTf } from '@dermagan/tf';
import { runTrainingJob } from './job-worker.ts';
import { trainingMetrics } from './training-metrics.ts';

const config = loadConfig(BaseConfig, { defaults: { service: 'gan-trainer-job', shutdownGraceS: 120 } });
const backend = await loadTf(config.tfBackend);
const abort = new AbortController();
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => abort.abort());
const service = await startService({ config, subscriptions: () => [], handleSignals: false });
const { bus, store, registry, logger } = service.ctx;
let code = 1;
try {
  const outcome = await runTrainingJob(process.env[TRAINING_JOB.requestEnv], {
    store,
    folders: new FolderCache(store, join(config.workDir, 'folders')),
    workDir: config.workDir,
    backend,
    ...trainingMetrics(registry),
    publish: (e) => bus.publish(e),
    signal: abort.signal,
  });
  if (outcome.status === 'completed') {
    logger.info(outcome, 'training done');
    code = 0;
  } else {
    logger.error(outcome, outcome.status === 'invalid-request' ? 'invalid training request: not retried' : 'training interrupted; it resumes from the checkpoint');
    code = outcome.status === 'invalid-request' ? TRAINING_JOB.exitCodes.invalidRequest : TRAINING_JOB.exitCodes.interrupted;
  }
} catch (err) {
  logger.error({ err }, 'training failed');
} finally {
  await service.stop();
}
process.exit(code);

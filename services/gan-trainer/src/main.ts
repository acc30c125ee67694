/**
 * The gan-trainer service: `training.requested` → StyleGAN2-ADA → `training.progress`,
 * `checkpoint.saved`, `training.completed`; and `federation.checkpoint.requested` → a federation's
 * global weights as a checkpoint → `federation.checkpoint.saved`. Runs on GPU nodes with
 * DERMAGAN_TF_BACKEND=gpu. (In a cluster, training runs as Jobs instead: services/launcher starts
 * job-main.ts per request.)
 */
import { join } from 'node:path';
import { BaseConfig, FolderCache, loadConfig, startService } from '@dermagan/runtime';
import { globalCheckpointSubscription } from './global-checkpoint.ts';
import { trainerSubscription } from './handlers.ts';
import { trainingMetrics } from './training-metrics.ts';

const config = loadConfig(BaseConfig, { defaults: { service: 'gan-trainer', shutdownGraceS: 120 } });
await startService({
  config,
  subscriptions: ({ store, registry }) => [
    trainerSubscription({
      store,
      folders: new FolderCache(store, join(config.workDir, 'folders')),
      workDir: config.workDir,
      ...trainingMetrics(registry),
    }),
    globalCheckpointSubscription({ store }),
  ],
});

/**
 * The gan-trainer service: `training.requested` → StyleGAN2-ADA → `training.progress`,
 * `checkpoint.saved`, `training.completed` (`training.cancel.requested` stops a run → `training.cancelled`); and `federation.checkpoint.requested` → a federation's
 * global weights as a checkpoint → `federation.checkpoint.saved`. Runs on GPU nodes with
 * DERMAGAN_TF_BACKEND=gpu. (In a cluster, training runs as Jobs instead: services/launcher starts
 * job-main.ts per request.)
 */
import { join } from 'node:path';
import { BaseConfig, FolderCache, loadConfig, startService } from '@dermagan/runtime';
import { loadTf } from '@dermagan/tf';
import { globalCheckpointSubscription } from './global-checkpoint.ts';
import { trainerSubscriptions } from './handlers.ts';
import { trainingMetrics } from './training-metrics.ts';

const config = loadConfig(BaseConfig, { defaults: { service: 'gan-trainer', shutdownGraceS: 120 } });
// The tfjs backend, chosen here from the config and handed to the handlers.
const backend = await loadTf(config.tfBackend);
await startService({
  config,
  subscriptions: ({ store, registry }) => [
    ...trainerSubscriptions({
      store,
      folders: new FolderCache(store, join(config.workDir, 'folders')),
      workDir: config.workDir,
      backend,
      ...trainingMetrics(registry),
    }),
    globalCheckpointSubscription({ store, backend }),
  ],
});

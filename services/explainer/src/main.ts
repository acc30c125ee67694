/**
 * The explainer service: `explanation.requested` → embeddings, edge cases, heat maps, latent
 * directions, frame removal → `explanation.completed`.
 */
import { join } from 'node:path';
import { BaseConfig, FolderCache, Gauge, Histogram, loadConfig, startService } from '@dermagan/runtime';
import { loadTf } from '@dermagan/tf';
import { wProjector } from '@dermagan/projector';
import { explainerSubscription } from './handlers.ts';

const config = loadConfig(BaseConfig, { defaults: { service: 'explainer' } });
// The tfjs backend, chosen here from the config and handed to the handlers.
const backend = await loadTf(config.tfBackend);
await startService({
  config,
  subscriptions: ({ store, registry, logger }) => {
    const step = new Gauge({ name: 'dermagan_explainer_step_progress', help: 'Share done of the running explanation step', labelNames: ['name', 'step'], registers: [registry] });
    const seconds = new Histogram({ name: 'dermagan_explainer_seconds', help: 'Wall time of an explanation', buckets: [10, 60, 300, 1800, 7200, 36000], registers: [registry] });
    const deltaAuc = new Gauge({ name: 'dermagan_explainer_delta_auc', help: 'AUC change of a retrained classifier (edge-case neighbours, frame removal)', labelNames: ['name', 'experiment'], registers: [registry] });
    return [
      explainerSubscription({
        store,
        folders: new FolderCache(store, join(config.workDir, 'folders')),
        workDir: config.workDir,
        backend,
        projector: wProjector(backend.tf),
        onProgress: (name, s, done, total) => step.set({ name, step: s }, total > 0 ? done / total : 0),
        onCompleted: (name, numbers, wall) => {
          seconds.observe(wall);
          for (const [experiment, key] of [['edge-neighbours', 'edge_aug_delta_auc'], ['frame-removal', 'frame_removal_delta_auc']] as const) {
            const v = numbers[key];
            if (typeof v === 'number') deltaAuc.set({ name, experiment }, v);
          }
          logger.info({ name, numbers }, 'explanation completed');
        },
      }),
    ];
  },
});

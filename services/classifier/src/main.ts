/**
 * The classifier service: `utility.requested` → train and test the melanoma classifier → `utility.completed`.
 */
import { join } from 'node:path';
import { BaseConfig, FolderCache, Gauge, loadConfig, startService } from '@dermagan/runtime';
import { loadTf } from '@dermagan/tf';
import { classifierSubscription } from './handlers.ts';

const config = loadConfig(BaseConfig, { defaults: { service: 'classifier' } });
// The tfjs backend, chosen here from the config and handed to the handlers.
const backend = await loadTf(config.tfBackend);
await startService({
  config,
  subscriptions: ({ store, registry }) => {
    const auc = new Gauge({ name: 'dermagan_classifier_validation_auc', help: 'Validation ROC-AUC of the latest epoch', labelNames: ['name'], registers: [registry] });
    const epoch = new Gauge({ name: 'dermagan_classifier_epoch', help: 'Epochs finished', labelNames: ['name'], registers: [registry] });
    return [
      classifierSubscription({
        store,
        folders: new FolderCache(store, join(config.workDir, 'folders')),
        workDir: config.workDir,
        backend,
        onEpoch: (name, e, v) => {
          epoch.set({ name }, e);
          auc.set({ name }, v);
        },
      }),
    ];
  },
});

/**
 * The generator service: `generation.requested` → synthetic dataset → `dataset.generated`.
 */
import { join } from 'node:path';
import { BaseConfig, Counter, FolderCache, loadConfig, startService } from '@dermagan/runtime';
import { generatorSubscription } from './handlers.ts';

const config = loadConfig(BaseConfig, { defaults: { service: 'generator' } });
await startService({
  config,
  subscriptions: ({ store, registry }) => {
    const images = new Counter({ name: 'dermagan_generated_images_total', help: 'Synthetic images generated', registers: [registry] });
    return [
      generatorSubscription({
        store,
        folders: new FolderCache(store, join(config.workDir, 'folders')),
        workDir: config.workDir,
        onImages: (count) => images.inc(count),
      }),
    ];
  },
});

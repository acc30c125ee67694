/**
 * The generator service: `generation.requested` → synthetic dataset → `dataset.generated`; and
 * `POST /render` (a few images by seed, truncation and latent edits → PNG) for the portal.
 */
import { join } from 'node:path';
import { CheckpointRenderer } from '@dermagan/gan';
import { BaseConfig, Counter, FolderCache, loadConfig, startService } from '@dermagan/runtime';
import { loadTf } from '@dermagan/tf';
import { generatorSubscription } from './handlers.ts';
import { mountRender } from './render-route.ts';

const config = loadConfig(BaseConfig, { defaults: { service: 'generator' } });
// The tfjs backend, chosen here from the config and handed to the handlers.
const backend = await loadTf(config.tfBackend);
await startService({
  config,
  subscriptions: ({ store, registry }) => {
    const images = new Counter({ name: 'dermagan_generated_images_total', help: 'Synthetic images generated', registers: [registry] });
    return [
      generatorSubscription({
        store,
        folders: new FolderCache(store, join(config.workDir, 'folders')),
        workDir: config.workDir,
        backend,
        onImages: (count) => images.inc(count),
      }),
    ];
  },
  routes: (app, { store, logger }) => {
    const folders = new FolderCache(store, join(config.workDir, 'render-folders'));
    let renderer: Promise<CheckpointRenderer> | undefined;
    mountRender(
      app,
      () => (renderer ??= Promise.resolve(new CheckpointRenderer({ tf: backend.tf, fetchCheckpoint: (ref) => folders.fetch(ref) }))),
      (err) => logger.warn({ err }, 'render failed'),
    );
  },
});

/**
 * The gan-trainer service: `training.requested` → StyleGAN2-ADA → `training.progress`,
 * `checkpoint.saved`, `training.completed`. Runs on GPU nodes with DERMAGAN_TF_BACKEND=gpu.
 */
import { join } from 'node:path';
import { BaseConfig, FolderCache, Gauge, loadConfig, startService } from '@dermagan/runtime';
import { trainerSubscription } from './handlers.ts';

const config = loadConfig(BaseConfig, { defaults: { service: 'gan-trainer', shutdownGraceS: 120 } });
await startService({
  config,
  subscriptions: ({ store, registry }) => {
    const gauge = (name: string, help: string) => new Gauge({ name, help, labelNames: ['run'], registers: [registry] });
    const kimg = gauge('dermagan_training_kimg', 'Thousands of real images shown to D so far');
    const speed = gauge('dermagan_training_kimg_per_second', 'Training speed over the last tick');
    const lossG = gauge('dermagan_training_loss_g', 'Generator loss (non-saturating logistic), tick mean');
    const lossD = gauge('dermagan_training_loss_d', 'Discriminator loss, tick mean');
    const adaP = gauge('dermagan_training_ada_p', 'ADA augmentation probability');
    const fid = new Gauge({ name: 'dermagan_training_fid', help: 'FID of the latest checkpoint (Inception-2015; label metric = fid5k, …)', labelNames: ['run', 'metric'], registers: [registry] });
    return [
      trainerSubscription({
        store,
        folders: new FolderCache(store, join(config.workDir, 'folders')),
        workDir: config.workDir,
        onTick: (run, r) => {
          kimg.set({ run }, r.kimg);
          const set = (g: Gauge, v: number | null | undefined) => v != null && g.set({ run }, v);
          set(speed, r.kimgPerSec);
          set(lossG, r.lossG);
          set(lossD, r.lossD);
          set(adaP, r.adaP);
        },
        onScore: (run, metric, value) => fid.set({ run, metric }, value),
      }),
    ];
  },
});

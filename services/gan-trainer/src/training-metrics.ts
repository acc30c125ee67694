/**
 * The training series every trainer exports (the in-process service and a training Job's worker):
 * kimg (and its target), speed, losses, ADA p and snapshot FIDs, labelled by run. Alerts (training stalled) and dashboards read them.
 */
import { Gauge, type Registry } from '@dermagan/runtime';
import type { TrainerDeps } from './handlers.ts';

export function trainingMetrics(registry: Registry): Required<Pick<TrainerDeps, 'onTick' | 'onScore'>> {
  const gauge = (name: string, help: string) => new Gauge({ name, help, labelNames: ['run'], registers: [registry] });
  const kimg = gauge('dermagan_training_kimg', 'Thousands of real images shown to D so far');
  const target = gauge('dermagan_training_kimg_target', 'The kimg the run trains to (kimg < target and not rising = stalled)');
  const speed = gauge('dermagan_training_kimg_per_second', 'Training speed over the last tick');
  const lossG = gauge('dermagan_training_loss_g', 'Generator loss (non-saturating logistic), tick mean');
  const lossD = gauge('dermagan_training_loss_d', 'Discriminator loss, tick mean');
  const adaP = gauge('dermagan_training_ada_p', 'ADA augmentation probability');
  const fid = new Gauge({ name: 'dermagan_training_fid', help: 'FID of the latest checkpoint (Inception-2015; label metric = fid5k, …)', labelNames: ['run', 'metric'], registers: [registry] });
  return {
    onTick: (run, r, totalKimg) => {
      kimg.set({ run }, r.kimg);
      target.set({ run }, totalKimg);
      const set = (g: Gauge, v: number | null | undefined) => v != null && g.set({ run }, v);
      set(speed, r.kimgPerSec);
      set(lossG, r.lossG);
      set(lossD, r.lossD);
      set(adaP, r.adaP);
    },
    onScore: (run, metric, value) => fid.set({ run, metric }, value),
  };
}

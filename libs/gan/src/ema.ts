/**
 * G_ema: an exponential moving average of G's weights with a half-life in images
 * (Karras et al. 2018 §4; NVlabs training loop "Update G_ema"):
 *   ema_nimg = 1000·ema_kimg, capped at rampup·cur_nimg when ramp-up is on;
 *   β = 0.5^(batch / ema_nimg);  p_ema ← p + β·(p_ema − p);  buffers (w_avg, const noise) copied.
 */
import type { ParamSet } from './params.ts';
import type { Tf } from './tf-types.ts';

export function emaBeta(batch: number, curNimg: number, emaKimg: number, rampup: number | undefined): number {
  let emaNimg = emaKimg * 1000;
  if (rampup !== undefined) emaNimg = Math.min(emaNimg, curNimg * rampup);
  return 0.5 ** (batch / Math.max(emaNimg, 1e-8));
}

export function updateEma(tf: Tf, ema: ParamSet, source: ParamSet, beta: number): void {
  tf.tidy(() => {
    for (const [name, pe] of ema.params) {
      const p = source.params.get(name);
      if (!p) throw new Error(`updateEma: G has no parameter "${name}"`);
      pe.assign(tf.add(p, tf.mul(tf.sub(pe, p), beta)));
    }
    for (const [name, be] of ema.buffers) be.assign(source.get(name));
  });
}

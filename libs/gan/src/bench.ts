/**
 * The engine benchmark (`dermagan bench gan`, scripts/bench/gan.ts): the reference training loop's
 * phases, each with its optimiser step, ADA off (p = 0), random reals, on one configuration —
 * the same flags configure scripts/bench/gan-pytorch.py for the official code:
 *   g_step_s     Gmain (G forward, D forward, backward to G, Adam)
 *   d_step_s     Dmain (fake and real logistic, backward to D, Adam)
 *   d_r1_step_s  Dboth (Dmain and R1 in one pass)
 *   g_pl_step_s  Greg (path length on batch/2)
 *   sample_img_s G forward at batch 32 without gradients, images per second
 * Each time is the median of `runs` timed runs after `warmup` untimed ones.
 */
import { Adam, lazyRegAdam } from './adam.ts';
import { preset } from './config.ts';
import { Discriminator } from './discriminator.ts';
import { Generator } from './generator.ts';
import { cleanGradients } from './gradients.ts';
import { StyleGAN2Loss, type Phase } from './loss.ts';
import { registerEngineGradients } from './ops/register-gradients.ts';
import { Rng } from './rng.ts';
import type { Tf } from './tf-types.ts';

export interface BenchOptions {
  /** Resolution. */
  res: number;
  /** Minibatch. */
  batch: number;
  /** Channel base / max, mapping layers, z and w dims (defaults: the 'auto' preset's 16384, 512, 2, 512, 512). */
  cbase?: number;
  cmax?: number;
  map?: number;
  zdim?: number;
  wdim?: number;
  /** Untimed and timed repetitions (defaults 2 and 5). */
  warmup?: number;
  runs?: number;
  /** Sampling batch (default 32). */
  sampleBatch?: number;
}

export interface BenchResult {
  backend: string;
  res: number;
  batch: number;
  params_g: number;
  params_d: number;
  g_step_s: number;
  d_step_s: number;
  d_r1_step_s: number;
  g_pl_step_s: number;
  sample_img_s: number;
  config: { cbase: number; cmax: number; map: number; zdim: number; wdim: number; warmup: number; runs: number };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export async function benchGan(tf: Tf, backend: string, o: BenchOptions): Promise<BenchResult> {
  registerEngineGradients(tf);
  const cfg = preset('auto', o.res);
  const network = {
    ...cfg.network,
    channelBase: o.cbase ?? 16384,
    channelMax: o.cmax ?? 512,
    mappingLayers: o.map ?? 2,
    zDim: o.zdim ?? 512,
    wDim: o.wdim ?? 512,
  };
  const training = { ...cfg.training, batch: o.batch, r1Gamma: 1 };
  const warmup = o.warmup ?? 2;
  const runs = o.runs ?? 5;
  const G = new Generator(tf, network, 1);
  const D = new Discriminator(tf, network, 2);
  const rng = new Rng(3);
  const loss = new StyleGAN2Loss(tf, G, D, training, rng);
  const optG = new Adam(tf, G.ps, lazyRegAdam(training.lr, training.betas, training.eps, training.plInterval));
  const optD = new Adam(tf, D.ps, lazyRegAdam(training.lr, training.betas, training.eps, training.r1Interval));
  const b = o.batch;
  const r = o.res;

  const timePhase = (phase: Phase): number => {
    const times: number[] = [];
    for (let i = 0; i < warmup + runs; i++) {
      const realImg = tf.tensor4d(rng.normal(b * r * r * 3).map((v) => Math.tanh(v)), [b, r, r, 3]);
      const genZ = tf.tensor2d(rng.normal(b * network.zDim), [b, network.zDim]);
      const t0 = performance.now();
      const result = loss.accumulateGradients(phase, { realImg, genZ, gain: phase === 'Greg' ? training.plInterval : 1 });
      cleanGradients(tf, result.grads);
      (phase.startsWith('G') ? optG : optD).apply(result.grads);
      // Wait for the update to finish (the backend runs ops asynchronously to JS).
      (phase.startsWith('G') ? G : D).ps.params.values().next().value!.dataSync();
      const dt = (performance.now() - t0) / 1000;
      for (const g of result.grads.values()) g.dispose();
      realImg.dispose();
      genZ.dispose();
      if (i >= warmup) times.push(dt);
    }
    return median(times);
  };

  const g_step_s = timePhase('Gmain');
  const d_step_s = timePhase('Dmain');
  const d_r1_step_s = timePhase('Dboth');
  const g_pl_step_s = timePhase('Greg');

  const sb = o.sampleBatch ?? 32;
  const sampleTimes: number[] = [];
  for (let i = 0; i < warmup + runs; i++) {
    const z = tf.tensor2d(rng.normal(sb * network.zDim), [sb, network.zDim]);
    const t0 = performance.now();
    const img = tf.tidy(() => G.apply(z, undefined, { noiseMode: 'random', rng }));
    img.dataSync();
    const dt = (performance.now() - t0) / 1000;
    img.dispose();
    z.dispose();
    if (i >= warmup) sampleTimes.push(dt);
  }
  const result: BenchResult = {
    backend,
    res: r,
    batch: b,
    params_g: G.ps.count(),
    params_d: D.ps.count(),
    g_step_s,
    d_step_s,
    d_r1_step_s,
    g_pl_step_s,
    sample_img_s: sb / median(sampleTimes),
    config: { cbase: network.channelBase, cmax: network.channelMax, map: network.mappingLayers, zdim: network.zDim, wdim: network.wDim, warmup, runs },
  };
  for (const x of [G.ps, D.ps]) x.dispose();
  optG.dispose();
  optD.dispose();
  return result;
}

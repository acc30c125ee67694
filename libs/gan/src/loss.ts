/**
 * StyleGAN2 losses by training phase (NVlabs `StyleGAN2Loss.accumulate_gradients`):
 *   Gmain  softplus(−D(G(z)))                                   non-saturating logistic
 *   Greg   pl_weight · (‖∇_ws Σ G(ws)·y‖ − a)²,  y ~ N(0,1)/√(HW)   path length, batch/2
 *   Dmain  softplus(D(G(z))) + softplus(−D(x))                   logistic
 *   Dreg   (γ/2) ‖∇_x D(aug(x))‖²                              R1 on un-augmented reals
 *   Dboth  Dmain + Dreg in one pass (non-lazy / the benchmark's D+R1 step)
 * Every image D sees goes through the augment pipe. G's forward applies style mixing. Each
 * phase returns its gradients by parameter name (the optimiser step is the caller's), its named
 * numbers, and D's real-score signs (for ADA).
 */
import type { TrainingConfig } from './config.ts';
import type { Discriminator } from './discriminator.ts';
import type { Generator } from './generator.ts';
import type { Rng } from './rng.ts';
import type { Scalar, Tensor, Tensor2D, Tensor3D, Tensor4D, Tf } from './tf-types.ts';

export type Phase = 'Gmain' | 'Greg' | 'Dmain' | 'Dreg' | 'Dboth';
export const PHASES: readonly Phase[] = ['Gmain', 'Greg', 'Dmain', 'Dreg', 'Dboth'];

/** Images → augmented images, differentiable (identity when ADA is off). */
export type AugmentFn = (images: Tensor4D) => Tensor4D;

export interface PhaseInputs {
  /** Real images [N, R, R, C] in [−1, 1] (D phases). */
  realImg?: Tensor4D;
  /** Real one-hot labels [N, cDim] (conditional only). */
  realC?: Tensor2D;
  /** Latents [N, zDim] for the fakes of this phase. */
  genZ: Tensor2D;
  /** Fake one-hot labels [N, cDim] (conditional only). */
  genC?: Tensor2D;
  /** Loss multiplier (the lazy-regularisation interval for Greg / Dreg; default 1). */
  gain?: number;
}

export interface PhaseResult {
  /** Gradients by parameter name (the phase's network only). */
  grads: Map<string, Tensor>;
  /** Named numbers (`Loss/G/loss`, `Loss/D/loss`, `Loss/r1_penalty`, `Loss/pl_penalty`, `Loss/scores/*`, `Loss/signs/real`). */
  stats: Record<string, number>;
  /** sign(D(aug(real))) per real sample (D phases), for the ADA heuristic. */
  realSigns?: Float32Array;
}

/** A loss that is NaN or ±Inf: the step is not applied. */
export class NonFiniteLossError extends Error {
  override readonly name = 'NonFiniteLossError';
  readonly retriable = false;
  constructor(
    readonly phase: Phase,
    readonly values: Record<string, number>,
  ) {
    super(
      `${phase}: the loss is not finite (${Object.entries(values)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}); the step was not applied. Lower the learning rate or γ, or resume from the last checkpoint.`,
    );
  }
}

export class StyleGAN2Loss {
  /** Running mean of path lengths (`pl_mean`), part of the checkpoint. */
  plMean = 0;

  constructor(
    private readonly tf: Tf,
    readonly G: Generator,
    readonly D: Discriminator,
    readonly cfg: TrainingConfig,
    /** Draws for style mixing, noise inputs and path-length noise. */
    readonly rng: Rng,
    /** Applied to every image D sees. */
    public augment: AugmentFn = (x) => x,
  ) {}

  /** G forward with style mixing (training mode: w_avg is updated). Returns images and the ws used. */
  runG(z: Tensor2D, c: Tensor2D | undefined): { img: Tensor4D; ws: Tensor3D } {
    const ws = this.mixedWs(z, c);
    return { img: this.synthesisApply(ws), ws };
  }

  private synthesisApply(ws: Tensor3D): Tensor4D {
    return this.G.synthesis.apply(ws, { noiseMode: 'random', rng: this.rng });
  }

  runD(img: Tensor4D, c: Tensor2D | undefined): Tensor2D {
    return this.D.apply(this.augment(img), c);
  }

  /** Compute one phase's loss and gradients. Throws NonFiniteLossError before returning bad gradients. */
  accumulateGradients(phase: Phase, inputs: PhaseInputs): PhaseResult {
    const tf = this.tf;
    const gain = inputs.gain ?? 1;
    const isG = phase === 'Gmain' || phase === 'Greg';
    const ps = isG ? this.G.ps : this.D.ps;
    const vars = [...ps.params.values()];
    const names = new Map<string, string>([...ps.params.entries()].map(([name, v]) => [v.name, name]));
    const parts: Record<string, Scalar> = {};
    let realLogits: Tensor2D | undefined;

    const { value, grads } = tf.variableGrads(() => {
      let total = tf.scalar(0);
      const n = inputs.genZ.shape[0];

      if (phase === 'Gmain') {
        // Gmain: maximise logits for generated images.
        const { img } = this.runG(inputs.genZ, inputs.genC);
        const genLogits = this.runD(img, inputs.genC);
        const loss = tf.mean(tf.softplus(tf.neg(genLogits))) as Scalar; // -log(sigmoid(gen_logits))
        parts['Loss/scores/fake'] = tf.keep(tf.mean(genLogits)) as Scalar;
        parts['Loss/G/loss'] = tf.keep(loss) as Scalar;
        total = loss;
      }

      if (phase === 'Greg') {
        // Greg: path-length regularisation on batch / plBatchShrink.
        const m = Math.max(1, Math.floor(n / this.cfg.plBatchShrink));
        const z = inputs.genZ.slice([0, 0], [m, -1]);
        const c = inputs.genC?.slice([0, 0], [m, -1]);
        const mixedWs = this.mixedWs(z, c);
        const { resolution: h, resolution: w, imgChannels: ch } = this.G.cfg;
        const plNoise = tf.tensor4d(this.rng.normal(m * h * w * ch, 1 / Math.sqrt(h * w)), [m, h, w, ch]);
        const plGrads = tf.grad((ws) => tf.sum(tf.mul(this.synthesisApply(ws as Tensor3D), plNoise)))(mixedWs) as Tensor3D;
        const plLengths = tf.sqrt(tf.mean(tf.sum(tf.square(plGrads), 2), 1)); // [m]
        const plMean = tf.add(this.plMean, tf.mul(tf.sub(tf.mean(plLengths), this.plMean), this.cfg.plDecay)) as Scalar;
        const penalty = tf.square(tf.sub(plLengths, plMean));
        const loss = tf.mul(tf.mean(penalty), this.cfg.plWeight * gain) as Scalar;
        parts['Loss/pl_penalty'] = tf.keep(tf.mean(penalty)) as Scalar;
        parts['pl_mean'] = tf.keep(plMean);
        total = loss;
      }

      if (phase === 'Dmain' || phase === 'Dboth') {
        // Dmain: minimise logits for generated images.
        const { img } = this.runG(inputs.genZ, inputs.genC);
        const genLogits = this.runD(img, inputs.genC);
        const lossGen = tf.mean(tf.softplus(genLogits)); // -log(1 - sigmoid(gen_logits))
        parts['Loss/scores/fake'] = tf.keep(tf.mean(genLogits)) as Scalar;
        total = tf.add(total, lossGen) as Scalar;
        parts['Loss/D/loss_gen'] = tf.keep(lossGen) as Scalar;
      }

      if (phase === 'Dmain' || phase === 'Dreg' || phase === 'Dboth') {
        // Dmain: maximise logits for real images. Dreg: R1 on the un-augmented reals.
        if (!inputs.realImg) throw new Error(`${phase}: realImg is required`);
        const withR1 = phase !== 'Dmain' && this.cfg.r1Gamma !== 0;
        const real = inputs.realImg;
        let r1Penalty: Tensor | undefined;
        if (withR1) {
          const f = (x: Tensor) => {
            realLogits = tf.keep(this.runD(x as Tensor4D, inputs.realC));
            return tf.sum(realLogits);
          };
          const r1Grads = tf.grad(f)(real) as Tensor4D;
          r1Penalty = tf.sum(tf.square(r1Grads), [1, 2, 3]); // [N]
        } else {
          realLogits = tf.keep(this.runD(real, inputs.realC));
        }
        parts['Loss/scores/real'] = tf.keep(tf.mean(realLogits!)) as Scalar;
        if (phase !== 'Dreg') {
          const lossReal = tf.mean(tf.softplus(tf.neg(realLogits!))); // -log(sigmoid(real_logits))
          parts['Loss/D/loss_real'] = tf.keep(lossReal) as Scalar;
          total = tf.add(total, lossReal) as Scalar;
        }
        if (r1Penalty) {
          const lossR1 = tf.mul(tf.mean(r1Penalty), (this.cfg.r1Gamma / 2) * (phase === 'Dreg' ? gain : 1));
          parts['Loss/r1_penalty'] = tf.keep(tf.mean(r1Penalty)) as Scalar;
          total = tf.add(total, lossR1) as Scalar;
        }
      }
      return total as Scalar;
    }, vars);

    // Read the numbers; a non-finite loss stops here (gradients are dropped).
    const stats: Record<string, number> = { [`Loss/${phase}/total`]: value.dataSync()[0]! };
    for (const [k, t] of Object.entries(parts)) {
      stats[k] = t.dataSync()[0]!;
      t.dispose();
    }
    value.dispose();
    if ('Loss/D/loss_gen' in stats || 'Loss/D/loss_real' in stats) stats['Loss/D/loss'] = (stats['Loss/D/loss_gen'] ?? 0) + (stats['Loss/D/loss_real'] ?? 0);
    const bad = Object.fromEntries(Object.entries(stats).filter(([, v]) => !Number.isFinite(v)));
    let realSigns: Float32Array | undefined;
    if (realLogits) {
      realSigns = new Float32Array(realLogits.dataSync()).map(Math.sign);
      realLogits.dispose();
      stats['Loss/signs/real'] = realSigns.reduce((a, b) => a + b, 0) / realSigns.length;
    }
    const byName = new Map<string, Tensor>();
    for (const [tfName, g] of Object.entries(grads)) byName.set(names.get(tfName)!, g);
    if (Object.keys(bad).length > 0) {
      for (const g of byName.values()) g.dispose();
      throw new NonFiniteLossError(phase, bad);
    }
    if (phase === 'Greg') this.plMean = stats['pl_mean']!;
    return { grads: byName, stats, ...(realSigns ? { realSigns } : {}) };
  }

  /**
   * Mapping in training mode, then style mixing: with probability `styleMixing`, the ws from a
   * uniform cutoff in [1, numWs) on come from a second latent with the same c (no w_avg update).
   */
  private mixedWs(z: Tensor2D, c: Tensor2D | undefined): Tensor3D {
    const tf = this.tf;
    const { mapping } = this.G;
    let ws = mapping.apply(z, c, { updateWAvg: true }) as Tensor3D;
    const k = ws.shape[1];
    const cutoffDraw = this.rng.int(1, k);
    const cutoff = this.rng.uniform() < this.cfg.styleMixing ? cutoffDraw : k;
    const z2 = tf.tensor2d(this.rng.normal(z.size), z.shape);
    if (cutoff < k) {
      const ws2 = mapping.apply(z2, c, {}) as Tensor3D;
      ws = tf.concat([ws.slice([0, 0, 0], [-1, cutoff, -1]), ws2.slice([0, cutoff, 0], [-1, -1, -1])], 1) as Tensor3D;
    }
    return ws;
  }
}


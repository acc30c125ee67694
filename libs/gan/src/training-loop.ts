/**
 * The StyleGAN2-ADA training loop (NVlabs `training_loop()`), as a resumable `Trainer`:
 * `step()` runs one minibatch through the phases Gmain, Greg (every plInterval), Dmain, Dreg (every
 * r1Interval), updates G_ema and the ADA p; `run()` repeats it in ticks, reporting per-tick stats
 * as data and writing checkpoints. Every random draw comes from the trainer's RNG or the augment
 * pipe's stream, both in the checkpoint, so `save → load → step` equals never stopping.
 *
 * A non-finite loss throws NonFiniteLossError out of `step()`; the in-memory trainer is then
 * unusable (earlier phases of that step were applied) and `run()` does not checkpoint it, so the
 * last good checkpoint stays the one on disk.
 */
import { DERMAGAN_VERSION } from '@dermagan/contracts';
import { AdaController } from './ada.ts';
import { Adam, lazyRegAdam } from './adam.ts';
import { createAugmentPipe, type AugmentPipe, type AugmentPipeName } from './augment.ts';
import { encodeCheckpoint, loadCheckpoint, type CheckpointSink, type NamedArray } from './checkpoint.ts';
import { CHECKPOINT_FORMAT, type CheckpointMetaInput } from './checkpoint-meta.ts';
import type { GanConfig } from './config.ts';
import { GAN_TRAINING_DEFAULTS } from './defaults.ts';
import { Discriminator } from './discriminator.ts';
import { emaBeta, updateEma } from './ema.ts';
import { Generator } from './generator.ts';
import { cleanGradients } from './gradients.ts';
import { StyleGAN2Loss, type Phase } from './loss.ts';
import { registerEngineGradients } from './ops/register-gradients.ts';
import type { ParamSet } from './params.ts';
import { Rng } from './rng.ts';
import type { Tensor2D, Tf } from './tf-types.ts';
import { oneHot, sampleLabels, sampleRealBatch, type TrainingData } from './training-data.ts';

/** Augmentation: the pipe, and either a fixed p or ADA's target. */
export interface AugmentConfig {
  /** Transforms ('bgc' = ADA default, 'bg' = no colour, 'noaug' = none). */
  pipe: AugmentPipeName;
  /** ADA target for mean sign(D(real)) (undefined = fixed p; r_t is still measured). */
  target: number | undefined;
  /** Fixed p, or ADA's initial p (default 0). */
  p: number;
  /** Steps between ADA updates. */
  interval: number;
  /** ADA speed: kimg for p to go 0 → 1. */
  kimg: number;
}

/** Pipe and target as the training options' defaults; ADA interval and speed as the reference. */
export const DEFAULT_AUGMENT: AugmentConfig = { pipe: GAN_TRAINING_DEFAULTS.aug, target: GAN_TRAINING_DEFAULTS.target, p: 0, interval: 4, kimg: 500 };

export interface TrainerOptions {
  /** Networks and training hyper-parameters. */
  config: GanConfig;
  /** Seed of initialisation and of every random draw. */
  seed: number;
  /** Augment pipe and ADA. */
  augment: AugmentConfig;
  /** Random x-flips of the reals (the study's --mirror=1). */
  mirror: boolean;
}

/** One tick's numbers (means over the tick's steps, plus progress and resources). */
export interface TickStats {
  tick: number;
  kimg: number;
  step: number;
  /** Mean of each named loss number over the tick. */
  losses: Record<string, number>;
  /** Augmentation probability at the end of the tick. */
  p: number;
  /** ADA's last r_t (mean sign of D(real)); null before the first update. */
  rt: number | null;
  kimgPerSec: number;
  secPerKimg: number;
  secPerTick: number;
  /** Resident memory and tfjs tensor bytes. */
  memory: { rssBytes: number; tensorBytes: number; tensors: number };
  pl_mean: number;
}

export interface RunOptions {
  /** Stop when this many kimg have been seen in total (resumed runs count what came before). */
  kimg: number;
  /** Tick length in kimg (default 4). */
  kimgPerTick?: number;
  /** Checkpoint every this many ticks (default 50), and always at the end. */
  snapshotTicks?: number;
  /** Where checkpoints go (undefined = none). */
  sink?: CheckpointSink;
  /** Called with each tick's stats. */
  onTick?: (stats: TickStats) => void;
  /** Called after each step (progress bars). */
  onStep?: (step: number, curNimg: number) => void;
  /** Stop early (a final checkpoint is written). */
  signal?: AbortSignal;
  /** Called after each snapshot is saved (not after the checkpoint of an abort): metrics of it. */
  onSnapshot?: (at: { tick: number; kimg: number; step: number }) => Promise<void>;
}

export class Trainer {
  readonly G: Generator;
  readonly D: Discriminator;
  readonly Gema: Generator;
  readonly optG: Adam;
  readonly optD: Adam;
  readonly loss: StyleGAN2Loss;
  readonly rng: Rng;
  readonly pipe: AugmentPipe;
  readonly ada: AdaController | undefined;
  /** Images shown to D so far. */
  curNimg = 0;
  /** Minibatches done (the reference's batch_idx). */
  step = 0;
  tick = 0;
  /** Sums and counts of the named numbers since the last tick. */
  private acc = new Map<string, [number, number]>();
  private lastRt: number | null = null;

  constructor(
    readonly tf: Tf,
    readonly data: TrainingData,
    readonly options: TrainerOptions,
    /** Backend provenance recorded in checkpoints. */
    readonly backend: Record<string, unknown> = {},
  ) {
    registerEngineGradients(tf);
    const { network, training } = options.config;
    if (data.resolution !== network.resolution) throw new Error(`Trainer: data is ${data.resolution}², the network ${network.resolution}²`);
    if (network.cDim > 0 && network.cDim !== data.labelNames.length) {
      throw new Error(`Trainer: conditional cDim ${network.cDim} ≠ the dataset's ${data.labelNames.length} classes`);
    }
    // Construct networks.
    this.G = new Generator(tf, network, options.seed * 4 + 1);
    this.D = new Discriminator(tf, network, options.seed * 4 + 2);
    this.Gema = new Generator(tf, network, options.seed * 4 + 1);
    this.Gema.ps.copyFrom(this.G.ps);
    // Setup training phases (lazy regularisation corrects lr and betas).
    this.optG = new Adam(tf, this.G.ps, lazyRegAdam(training.lr, training.betas, training.eps, training.plInterval));
    this.optD = new Adam(tf, this.D.ps, lazyRegAdam(training.lr, training.betas, training.eps, training.r1Interval));
    this.rng = new Rng(options.seed * 4 + 3);
    // Setup augmentation.
    this.pipe = createAugmentPipe(tf, { pipe: options.augment.pipe, p: options.augment.p, seed: options.seed * 4 + 4 });
    const aug = options.augment;
    this.ada =
      aug.pipe === 'noaug'
        ? undefined
        : new AdaController({
            batchSize: training.batch,
            interval: aug.interval,
            kimg: aug.kimg,
            ...(aug.target === undefined ? { fixedP: aug.p } : { target: aug.target, initialP: aug.p }),
          });
    const augment = options.augment.pipe === 'noaug' ? undefined : (x: Parameters<AugmentPipe['augment']>[0]) => this.pipe.augment(x);
    this.loss = new StyleGAN2Loss(tf, this.G, this.D, training, this.rng, augment);
  }

  get batch(): number {
    return this.options.config.training.batch;
  }

  /** One minibatch: all due phases, G_ema, counters, ADA. Returns this step's named numbers. */
  stepOnce(): Record<string, number> {
    const tf = this.tf;
    const { training, network } = this.options.config;
    const batch = this.batch;
    const cDim = network.cDim;
    const phases: Array<{ name: Phase; interval: number; gain: number; opt: Adam; on: boolean }> = [
      { name: 'Gmain', interval: 1, gain: 1, opt: this.optG, on: true },
      { name: 'Greg', interval: training.plInterval, gain: training.plInterval, opt: this.optG, on: training.plWeight !== 0 },
      { name: 'Dmain', interval: 1, gain: 1, opt: this.optD, on: true },
      { name: 'Dreg', interval: training.r1Interval, gain: training.r1Interval, opt: this.optD, on: training.r1Gamma !== 0 },
    ];
    const stats: Record<string, number> = {};
    tf.tidy(() => {
      // Fetch training data: one real batch, and z / c for every phase (drawn even when skipped).
      const real = sampleRealBatch(tf, this.data, this.rng, batch, { mirror: this.options.mirror, cDim });
      const genZ = phases.map(() => tf.tensor2d(this.rng.normal(batch * network.zDim), [batch, network.zDim]));
      const genC = phases.map(() => (cDim > 0 ? oneHot(tf, sampleLabels(this.data, this.rng, batch), cDim) : undefined));

      // Execute training phases.
      phases.forEach((phase, i) => {
        if (!phase.on || this.step % phase.interval !== 0) return;
        const result = this.loss.accumulateGradients(phase.name, {
          realImg: real.img,
          ...(real.c ? { realC: real.c } : {}),
          genZ: genZ[i]!,
          ...(genC[i] ? { genC: genC[i] as Tensor2D } : {}),
          gain: phase.gain,
        });
        const { cleaned } = cleanGradients(tf, result.grads);
        if (cleaned > 0) result.stats[`Grad/${phase.name}/cleaned`] = cleaned;
        phase.opt.apply(result.grads);
        for (const g of result.grads.values()) g.dispose();
        Object.assign(stats, result.stats);
        if (result.realSigns && this.ada) this.ada.accumulate(result.realSigns);
      });
    });

    // Update G_ema.
    updateEma(tf, this.Gema.ps, this.G.ps, emaBeta(batch, this.curNimg, training.emaKimg, training.emaRampup));

    // Update state.
    this.curNimg += batch;
    this.step += 1;

    // Execute ADA heuristic (the controller decides when an update is due).
    if (this.ada) {
      const update = this.ada.endIteration();
      if (update) this.lastRt = update.rt;
      this.pipe.p = this.ada.p;
    }
    stats['Progress/augment'] = this.pipe.p;
    for (const [k, v] of Object.entries(stats)) {
      const a = this.acc.get(k) ?? [0, 0];
      this.acc.set(k, [a[0] + v, a[1] + 1]);
    }
    return stats;
  }

  /** Train until `options.kimg`, in ticks; checkpoints through the sink. */
  async run(options: RunOptions): Promise<{ stopped: 'done' | 'aborted'; kimg: number }> {
    const tf = this.tf;
    const kimgPerTick = options.kimgPerTick ?? 4;
    const snapshotTicks = options.snapshotTicks ?? 50;
    let tickStartNimg = this.curNimg;
    let tickStart = Date.now();
    const totalNimg = options.kimg * 1000;
    let stopped: 'done' | 'aborted' = 'done';
    while (this.curNimg < totalNimg) {
      if (options.signal?.aborted) {
        stopped = 'aborted';
        break;
      }
      this.stepOnce();
      options.onStep?.(this.step, this.curNimg);
      await new Promise((r) => setImmediate(r)); // let signals and I/O in between steps
      const done = this.curNimg >= totalNimg;
      if (!done && this.curNimg < tickStartNimg + kimgPerTick * 1000) continue;

      // Print status line / report tick stats.
      const secs = (Date.now() - tickStart) / 1000;
      const kimg = (this.curNimg - tickStartNimg) / 1000;
      const mem = tf.memory();
      const losses: Record<string, number> = {};
      for (const [k, [s, n]] of this.acc) losses[k] = s / n;
      this.acc.clear();
      options.onTick?.({
        tick: this.tick,
        kimg: this.curNimg / 1000,
        step: this.step,
        losses,
        p: this.pipe.p,
        rt: this.lastRt,
        kimgPerSec: kimg / Math.max(secs, 1e-9),
        secPerKimg: secs / Math.max(kimg, 1e-9),
        secPerTick: secs,
        memory: { rssBytes: process.memoryUsage().rss, tensorBytes: mem.numBytes, tensors: mem.numTensors },
        pl_mean: this.loss.plMean,
      });
      this.tick += 1;
      tickStartNimg = this.curNimg;
      tickStart = Date.now();

      // Save network snapshot.
      if (options.sink && (done || this.tick % snapshotTicks === 0)) {
        await options.sink.save(this.checkpointFiles());

        // Evaluate metrics.
        await options.onSnapshot?.({ tick: this.tick - 1, kimg: this.curNimg / 1000, step: this.step });
      }
    }
    if (stopped === 'aborted' && options.sink) await options.sink.save(this.checkpointFiles());
    return { stopped, kimg: this.curNimg / 1000 };
  }

  /** Everything needed to continue bit-identically, as checkpoint files. */
  checkpointFiles(): Map<string, Uint8Array> {
    const arrays = new Map<string, NamedArray>();
    const put = (prefix: string, ps: ParamSet) => {
      for (const [name, v] of ps.entries()) arrays.set(`${prefix}/${name}`, { shape: v.shape, data: v.dataSync() as Float32Array });
    };
    put('G', this.G.ps);
    put('D', this.D.ps);
    put('G_ema', this.Gema.ps);
    for (const [prefix, opt] of [['optG', this.optG], ['optD', this.optD]] as const) {
      for (const [name, v] of opt.m) arrays.set(`${prefix}/m/${name}`, { shape: v.shape, data: v.dataSync() as Float32Array });
      for (const [name, v] of opt.v) arrays.set(`${prefix}/v/${name}`, { shape: v.shape, data: v.dataSync() as Float32Array });
    }
    const meta: CheckpointMetaInput = {
      format: CHECKPOINT_FORMAT,
      dermaganVersion: DERMAGAN_VERSION,
      createdAt: new Date().toISOString(),
      options: this.options,
      counters: { curNimg: this.curNimg, step: this.step, tick: this.tick, kimg: this.curNimg / 1000 },
      rng: this.rng.getState(),
      augmentPipe: this.pipe.getState(),
      ada: this.ada?.getState() ?? null,
      adaLastRt: this.lastRt,
      plMean: this.loss.plMean,
      optimizers: { G: { step: this.optG.step, ...this.optG.options }, D: { step: this.optD.step, ...this.optD.options } },
      dataset: { fingerprint: this.data.fingerprint, labels: this.data.labelNames, ...this.data.provenance },
      backend: this.backend,
      // Not needed to resume, but part of what a reader wants to know.
      paramsG: this.G.ps.count(),
      paramsD: this.D.ps.count(),
    };
    return encodeCheckpoint(meta, arrays);
  }

  /** Save through a sink. */
  async save(sink: CheckpointSink): Promise<void> {
    await sink.save(this.checkpointFiles());
  }

  /**
   * Rebuild a trainer from a checkpoint. The data must be the same dataset (fingerprint checked);
   * `allowOtherData` accepts a different one (fine-tuning), recorded in the trainer's provenance.
   */
  static async resume(tf: Tf, data: TrainingData, sink: CheckpointSink, backend: Record<string, unknown> = {}, allowOtherData = false): Promise<Trainer> {
    const { meta: m, arrays } = await loadCheckpoint(sink);
    if (!allowOtherData && m.dataset.fingerprint !== data.fingerprint) {
      throw new Error(
        `Trainer.resume: ${sink.location} was trained on dataset ${m.dataset.fingerprint.slice(0, 12)}…, not ${data.fingerprint.slice(0, 12)}…; ` +
          `pass the same --data (and --class), or start a new run`,
      );
    }
    const trainer = new Trainer(tf, data, m.options, backend);
    const load = (prefix: string, ps: ParamSet) => {
      for (const [name, v] of ps.entries()) {
        const a = arrays.get(`${prefix}/${name}`);
        if (!a || a.shape.join(',') !== v.shape.join(',')) throw new Error(`Trainer.resume: ${prefix}/${name} missing or of another shape in ${sink.location}`);
        v.assign(tf.tensor(a.data, a.shape, 'float32'));
      }
    };
    load('G', trainer.G.ps);
    load('D', trainer.D.ps);
    load('G_ema', trainer.Gema.ps);
    for (const [prefix, opt, saved] of [['optG', trainer.optG, m.optimizers.G], ['optD', trainer.optD, m.optimizers.D]] as const) {
      opt.step = saved.step;
      for (const [kind, map] of [['m', opt.m], ['v', opt.v]] as const) {
        for (const [name, v] of map) {
          const a = arrays.get(`${prefix}/${kind}/${name}`);
          if (!a) throw new Error(`Trainer.resume: ${prefix}/${kind}/${name} missing in ${sink.location}`);
          v.assign(tf.tensor(a.data, a.shape, 'float32'));
        }
      }
    }
    trainer.curNimg = m.counters.curNimg;
    trainer.step = m.counters.step;
    trainer.tick = m.counters.tick;
    trainer.rng.setState(m.rng);
    trainer.pipe.setState(m.augmentPipe);
    if (trainer.ada && m.ada) trainer.ada.setState(m.ada);
    trainer.lastRt = m.adaLastRt;
    trainer.loss.plMean = m.plMean;
    return trainer;
  }

  dispose(): void {
    this.G.ps.dispose();
    this.D.ps.dispose();
    this.Gema.ps.dispose();
    this.optG.dispose();
    this.optD.dispose();
  }
}

/**
 * One training run as the CLI and the gan-trainer service start it: load the reals, build the
 * config from a preset and overrides (or take it from the checkpoint when resuming), train in
 * ticks, and leave in OUT: `checkpoint/` (the last good one), `stats.jsonl` (one tick per line)
 * and `run.json` (what made the run: options, dataset, backend, version).
 */
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DERMAGAN_VERSION } from '@dermagan/contracts';
import type { AugmentPipeName } from './augment.ts';
import { FolderCheckpointSink, type CheckpointSink } from './checkpoint.ts';
import { checkResolution, preset, type GanConfig, type PresetName } from './config.ts';
import type { Tf } from './tf-types.ts';
import { loadTrainingData, TrainingDataError } from './training-data.ts';
import { DEFAULT_AUGMENT, Trainer, type TickStats } from './training-loop.ts';

export interface TrainRunOptions {
  /** Ingested dataset folder. */
  data: string;
  /** Training resolution (the data is resized to it if needed). */
  resolution: number;
  /** Train until this many kimg in total. */
  kimg: number;
  /** Output folder. */
  out: string;
  /** Preset the config starts from (default 'auto'). */
  cfg?: PresetName;
  /** Conditional G and D on the dataset's classes. */
  cond?: boolean;
  /** Train on this class only (ben-GAN / mal-GAN; unconditional). */
  classFilter?: number;
  /** Augment pipe (default 'bgc'). */
  aug?: AugmentPipeName;
  /** ADA target (default 0.6; ignored with a fixed p). */
  target?: number;
  /** Fixed augmentation probability (undefined = adaptive). */
  p?: number;
  /** Random x-flips of the reals. */
  mirror?: boolean;
  /** Overrides of the preset (undefined = preset's value). */
  batch?: number;
  channelBase?: number;
  channelMax?: number;
  mappingLayers?: number;
  gamma?: number;
  zDim?: number;
  wDim?: number;
  /** Seed of everything random (default 0). */
  seed?: number;
  /** Checkpoint folder to continue from (config, counters, p and RNG come from it). */
  resume?: string;
  /** Tick length in kimg (default 4) and checkpoint period in ticks (default 50). */
  kimgPerTick?: number;
  snapshotTicks?: number;
}

export interface TrainRunResult {
  out: string;
  checkpoint: string;
  kimg: number;
  step: number;
  stopped: 'done' | 'aborted';
  lastTick: TickStats | null;
  config: GanConfig;
}

/** Build the config from a preset and the run's overrides. */
export function buildConfig(o: TrainRunOptions, numClasses: number): GanConfig {
  const cfg = preset(o.cfg ?? 'auto', o.resolution);
  if (o.cond) cfg.network.cDim = numClasses;
  if (o.batch !== undefined) cfg.training.batch = o.batch;
  if (o.channelBase !== undefined) cfg.network.channelBase = o.channelBase;
  if (o.channelMax !== undefined) cfg.network.channelMax = o.channelMax;
  if (o.mappingLayers !== undefined) cfg.network.mappingLayers = o.mappingLayers;
  if (o.zDim !== undefined) cfg.network.zDim = o.zDim;
  if (o.wDim !== undefined) cfg.network.wDim = o.wDim;
  if (o.gamma !== undefined) cfg.training.r1Gamma = o.gamma;
  const group = Math.min(cfg.network.mbstdGroup ?? 4, cfg.training.batch);
  if (cfg.training.batch % group !== 0) throw new TrainingDataError(`batch ${cfg.training.batch} must be a multiple of the minibatch-stddev group ${group}`);
  return cfg;
}

export async function runTraining(
  tf: Tf,
  backend: Record<string, unknown>,
  o: TrainRunOptions,
  hooks: { onTick?: (s: TickStats) => void; onStep?: (step: number, curNimg: number) => void; signal?: AbortSignal; sink?: CheckpointSink } = {},
): Promise<TrainRunResult> {
  // Check the request before any work.
  try {
    checkResolution(o.resolution);
  } catch (err) {
    throw new TrainingDataError((err as Error).message);
  }

  // Load training set.
  if (o.cond && o.classFilter !== undefined) throw new TrainingDataError('--cond and --class exclude each other: a one-class model is unconditional');
  const data = await loadTrainingData(tf, o.data, { resolution: o.resolution, ...(o.classFilter !== undefined ? { classes: [o.classFilter] } : {}) });

  // Construct or resume the trainer.
  await mkdir(o.out, { recursive: true });
  const sink = hooks.sink ?? new FolderCheckpointSink(join(o.out, 'checkpoint'));
  let trainer: Trainer;
  if (o.resume) {
    trainer = await Trainer.resume(tf, data, new FolderCheckpointSink(o.resume), backend);
  } else {
    const config = buildConfig(o, data.labelNames.length);
    const aug = o.aug ?? DEFAULT_AUGMENT.pipe;
    trainer = new Trainer(
      tf,
      data,
      {
        config,
        seed: o.seed ?? 0,
        augment: { ...DEFAULT_AUGMENT, pipe: aug, target: o.p !== undefined ? undefined : (o.target ?? DEFAULT_AUGMENT.target), p: o.p ?? 0 },
        mirror: o.mirror ?? false,
      },
      backend,
    );
  }
  await writeFile(
    join(o.out, 'run.json'),
    JSON.stringify(
      { dermaganVersion: DERMAGAN_VERSION, startedAt: new Date().toISOString(), request: o, trainer: trainer.options, dataset: { fingerprint: data.fingerprint, ...data.provenance }, backend, resumedFrom: o.resume ?? null, startKimg: trainer.curNimg / 1000 },
      null,
      1,
    ),
  );

  // Train.
  let lastTick: TickStats | null = null;
  const statsFile = join(o.out, 'stats.jsonl');
  const pending: Promise<void>[] = [];
  try {
    const { stopped, kimg } = await trainer.run({
      kimg: o.kimg,
      kimgPerTick: o.kimgPerTick ?? 4,
      snapshotTicks: o.snapshotTicks ?? 50,
      sink,
      onTick: (s) => {
        lastTick = s;
        pending.push(appendFile(statsFile, `${JSON.stringify(s)}\n`));
        hooks.onTick?.(s);
      },
      ...(hooks.onStep ? { onStep: hooks.onStep } : {}),
      ...(hooks.signal ? { signal: hooks.signal } : {}),
    });
    await Promise.all(pending);
    return { out: o.out, checkpoint: sink.location, kimg, step: trainer.step, stopped, lastTick, config: trainer.options.config };
  } finally {
    trainer.dispose();
  }
}

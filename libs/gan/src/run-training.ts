/**
 * One training run as the CLI and the gan-trainer service start it: load the reals, build the
 * trainer from the training options (or take it from the checkpoint when resuming), train in
 * ticks, and leave in OUT: `checkpoint/` (the last good one), `stats.jsonl` (one tick per line)
 * and `run.json` (what made the run: options, dataset, backend, version). OUT must be new, empty or
 * an earlier training run's folder (its `dermagan-output.json` says so): anything else is refused.
 */
import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DERMAGAN_VERSION, type GanTrainingOptions } from '@dermagan/contracts';
import { scoreSnapshot, type SnapshotScore, type SnapshotScorer } from './snapshot-metrics.ts';
import { claimOutputFolder, runFolder } from '@dermagan/safe-io';
import { FolderCheckpointSink, type CheckpointSink } from './checkpoint.ts';
import { checkResolution, type GanConfig } from './config.ts';
import { trainerOptionsFrom, withGanDefaults } from './options.ts';
import type { Tf } from './tf-types.ts';
import { loadTrainingData, TrainingDataError, type TrainingData } from './training-data.ts';
import { Trainer, type TickStats } from './training-loop.ts';

export interface TrainRunOptions {
  /** Ingested dataset folder. */
  data: string;
  /** Output folder: new, empty, or an earlier training run's (see TRAINING_RUN_FOLDER). */
  out: string;
  /** The training options (resolution, length, preset and overrides, augmentation, seed, tick). */
  options: GanTrainingOptions;
  /** Train on this class only (ben-GAN / mal-GAN; unconditional). */
  classFilter?: number;
  /** Checkpoint folder to continue from (config, counters, p and RNG come from it). */
  resume?: string;
  /** Checkpoint period in ticks (default 50; always at the end). */
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

/** What `train --out` holds: checkpoint/, stats.jsonl, run.json, recognised by its marker. */
export const TRAINING_RUN_FOLDER = runFolder('train', 'dermagan training run');

export async function runTraining(
  tf: Tf,
  backend: Record<string, unknown>,
  o: TrainRunOptions,
  hooks: {
    onTick?: (s: TickStats) => void;
    onStep?: (step: number, curNimg: number) => void;
    signal?: AbortSignal;
    sink?: CheckpointSink;
    /** Metrics of every snapshot (fid5k), made from the loaded reals: each score goes to stats.jsonl and to `onScore`. */
    snapshotScorers?: (data: TrainingData) => Promise<SnapshotScorer[]>;
    onScore?: (score: SnapshotScore) => void;
  } = {},
): Promise<TrainRunResult> {
  // Check the request before any work.
  const options = o.options;
  try {
    checkResolution(options.res);
  } catch (err) {
    throw new TrainingDataError((err as Error).message);
  }

  if (options.cond && o.classFilter !== undefined) throw new TrainingDataError('--cond and --class exclude each other: a one-class model is unconditional');
  await claimOutputFolder(o.out, TRAINING_RUN_FOLDER);

  // Load training set.
  const data = await loadTrainingData(tf, o.data, { resolution: options.res, ...(o.classFilter !== undefined ? { classes: [o.classFilter] } : {}) });

  // Construct or resume the trainer.
  const sink = hooks.sink ?? new FolderCheckpointSink(join(o.out, 'checkpoint'));
  let trainer: Trainer;
  if (o.resume) {
    trainer = await Trainer.resume(tf, data, new FolderCheckpointSink(o.resume), backend);
  } else {
    trainer = new Trainer(tf, data, trainerOptionsFrom(options, data.labelNames.length), backend);
  }
  await writeFile(
    join(o.out, 'run.json'),
    JSON.stringify(
      { dermaganVersion: DERMAGAN_VERSION, startedAt: new Date().toISOString(), request: o, trainer: trainer.options, dataset: { fingerprint: data.fingerprint, ...data.provenance }, backend, resumedFrom: o.resume ?? null, startKimg: trainer.curNimg / 1000 },
      null,
      1,
    ),
  );

  // Setup snapshot metrics (the real statistics are computed or read from their cache once, here).
  const scorers = hooks.snapshotScorers ? await hooks.snapshotScorers(data) : [];

  // Train.
  let lastTick: TickStats | null = null;
  const statsFile = join(o.out, 'stats.jsonl');
  const pending: Promise<void>[] = [];
  try {
    const { stopped, kimg } = await trainer.run({
      kimg: options.kimg,
      kimgPerTick: withGanDefaults(options).tickKimg,
      snapshotTicks: o.snapshotTicks ?? 50,
      sink,
      onTick: (s) => {
        lastTick = s;
        pending.push(appendFile(statsFile, `${JSON.stringify(s)}\n`));
        hooks.onTick?.(s);
      },
      ...(hooks.onStep ? { onStep: hooks.onStep } : {}),
      ...(hooks.signal ? { signal: hooks.signal } : {}),
      onSnapshot: async (at) => {
        for (const scorer of scorers) {
          const score = await scoreSnapshot(tf, sink, scorer, at);
          pending.push(appendFile(statsFile, `${JSON.stringify({ metric: score.name, value: score.value, kimg: score.kimg, tick: score.tick, provenance: score.provenance })}\n`));
          hooks.onScore?.(score);
        }
      },
    });
    await Promise.all(pending);
    return { out: o.out, checkpoint: sink.location, kimg, step: trainer.step, stopped, lastTick, config: trainer.options.config };
  } finally {
    trainer.dispose();
    for (const scorer of scorers) scorer.dispose?.();
  }
}

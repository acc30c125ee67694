/**
 * Batched, resumable projection (NVlabs projector.py's loop, many images at once):
 *
 *   queue ← every image without a finished state (resumed ones first, most advanced first)
 *   while images remain:
 *     fill the batch's free slots from the queue (a saved state, or w_avg and fresh noise)
 *     run steps until the next save point or until a slot finishes
 *     save every slot's state; finished slots write their result and leave the batch
 *
 * Each image keeps its own step, Adam moments and random stream, so a projection killed at any
 * moment continues from each image's last saved step, and the result of an image does not depend
 * on which others shared its batch.
 */
import { Rng, type Generator } from '@dermagan/gan';
import type { Tensor } from '@tensorflow/tfjs-core';
import type { Tf } from '@dermagan/tf';
import { download, finish, initialState, upload, type ProjectionTarget, type Slot } from './batch.ts';
import type { ProjectorOptions } from './options.ts';
import type { PerceptualFeatures } from './perceptual.ts';
import { learningRate, wNoiseScale } from './schedule.ts';
import type { DoneState, RunningState } from './state.ts';
import type { StateStore } from './state-store.ts';
import { disposeVariables, projectionStep, type BatchTensors, type StepContext } from './step.ts';
import { ProjectorError } from './errors.ts';
import { wStatistics, type WStatistics } from './w-stats.ts';

export interface ProjectionJob {
  G: Generator;
  perceptual: PerceptualFeatures;
  options: ProjectorOptions;
  /** Images to project; an image's position in this list is its state's key. */
  targets: readonly ProjectionTarget[];
  states: StateStore;
  onProgress?: (progress: ProjectionProgress) => void;
  /** Stop at the next step: every slot's state is saved first. */
  signal?: AbortSignal;
}

export interface ProjectionProgress {
  /** Images finished (including those finished by an earlier run). */
  done: number;
  total: number;
  /** Steps taken over all images, and the total to take. */
  steps: number;
  totalSteps: number;
  /** Images in the batch now. */
  active: number;
  /** Image-steps per second of this run so far. */
  imageStepsPerSecond: number;
  /** Mean perceptual distance of the batch at the last step. */
  distance: number;
}

export interface ProjectionOutcome {
  /** Finished states in target order (all of them unless stopped). */
  results: Array<DoneState | null>;
  /** Images that continued from a saved state. */
  resumed: number;
  /** Images whose result was already saved. */
  alreadyDone: number;
  /** w statistics per class label ('null' for unconditional). */
  wStats: Map<string, WStatistics>;
  stopped: 'done' | 'aborted';
  /** Image-steps taken by this run and the seconds they took. */
  imageSteps: number;
  seconds: number;
}

export async function projectImages(tf: Tf, job: ProjectionJob): Promise<ProjectionOutcome> {
  const { G, options } = job;
  const ctx: StepContext = { G, perceptual: job.perceptual, options, noiseNames: G.synthesis.noiseInputs().map((n) => n.name) };
  const stats = new Map<string, WStatistics>();
  const statsFor = (label: number | null) => {
    const key = String(label);
    let s = stats.get(key);
    if (!s) {
      s = wStatistics(tf, G, label, options.wAvgSamples, options.wStatsSeed);
      stats.set(key, s);
    }
    return s;
  };

  // Load saved states: finished images are results, unfinished ones go first in the queue.
  const results: Array<DoneState | null> = job.targets.map(() => null);
  const queue: Array<{ position: number; saved: RunningState | null }> = [];
  let resumed = 0;
  let alreadyDone = 0;
  for (const [position, target] of job.targets.entries()) {
    const saved = await job.states.load(position);
    if (saved && saved.id !== target.id) {
      throw new ProjectorError(`saved state ${position} belongs to image ${saved.id}, not ${target.id}: the output folder holds another projection`);
    }
    if (saved?.kind === 'done') {
      results[position] = saved;
      alreadyDone++;
    } else {
      queue.push({ position, saved });
      if (saved) resumed++;
    }
  }
  queue.sort((a, b) => (b.saved?.step ?? -1) - (a.saved?.step ?? -1) || a.position - b.position);

  const total = job.targets.length;
  const totalSteps = total * options.steps;
  let stepsDone = alreadyDone * options.steps + queue.reduce((s, q) => s + (q.saved?.step ?? 0), 0);
  let done = alreadyDone;
  let imageSteps = 0;
  const started = performance.now();
  const slots: Slot[] = [];
  let lastDistance = NaN;
  const wDim = G.cfg.wDim;

  while (queue.length > 0 || slots.length > 0) {
    if (job.signal?.aborted) break;
    // Fill the free slots.
    while (slots.length < options.batch && queue.length > 0) {
      const { position, saved } = queue.shift()!;
      const target = job.targets[position]!;
      const s = statsFor(target.label);
      const state = saved ?? initialState(G, target, s, options);
      if (state.w.length !== (options.space === 'w' ? 1 : G.numWs) * wDim) {
        throw new ProjectorError(`saved state ${position} (${target.id}) was made in another latent space than ${options.space}; use a new output folder`);
      }
      slots.push({ position, target, state, stats: s });
    }

    // Steps until the next save point or the first slot to finish.
    const segment = Math.min(options.saveEvery, ...slots.map((s) => options.steps - s.state.step));
    const rngs = slots.map((s) => Rng.fromState(s.state.rng));
    let batch: BatchTensors = upload(tf, ctx, slots);
    try {
      for (let k = 0; k < segment; k++) {
        if (job.signal?.aborted) break;
        const lr = Float32Array.from(slots, (s) => learningRate(s.state.step, options));
        const t = Int32Array.from(slots, (s) => s.state.step + 1);
        const wNoise = new Float32Array(batch.w.size);
        const per = batch.w.size / slots.length;
        slots.forEach((s, i) => wNoise.set(rngs[i]!.normal(per, wNoiseScale(s.state.step, s.stats.wStd, options)), i * per));
        const out: { batch: BatchTensors; distance: Tensor } = projectionStep(tf, ctx, batch, { lr, t, wNoise });
        batch = out.batch;
        for (const s of slots) s.state.step += 1;
        stepsDone += slots.length;
        imageSteps += slots.length;
        if (k === segment - 1 || job.onProgress) {
          const d = out.distance.dataSync() as Float32Array;
          lastDistance = d.reduce((a, b) => a + b, 0) / d.length;
        }
        out.distance.dispose();
        job.onProgress?.({
          done,
          total,
          steps: stepsDone,
          totalSteps,
          active: slots.length,
          imageStepsPerSecond: imageSteps / ((performance.now() - started) / 1000),
          distance: lastDistance,
        });
      }

      // Save; finished images leave the batch.
      download(batch, slots);
      slots.forEach((s, i) => (s.state.rng = rngs[i]!.getState()));
      const finishedRows = slots.flatMap((s, i) => (s.state.step >= options.steps ? [i] : []));
      const finished = finish(tf, ctx, batch, slots, finishedRows);
      for (const [j, row] of finishedRows.entries()) {
        const s = slots[row]!;
        await job.states.save(s.position, finished[j]!);
        results[s.position] = finished[j]!;
        done++;
      }
      for (const [i, s] of slots.entries()) if (!finishedRows.includes(i)) await job.states.save(s.position, s.state);
      for (const row of [...finishedRows].reverse()) slots.splice(row, 1);
    } finally {
      disposeVariables(tf, batch);
      tf.dispose(batch.target);
    }
  }
  job.onProgress?.({ done, total, steps: stepsDone, totalSteps, active: 0, imageStepsPerSecond: imageSteps / Math.max(1e-9, (performance.now() - started) / 1000), distance: lastDistance });
  return {
    results,
    resumed,
    alreadyDone,
    wStats: stats,
    stopped: done === total ? 'done' : 'aborted',
    imageSteps,
    seconds: (performance.now() - started) / 1000,
  };
}

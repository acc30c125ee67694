/**
 * The images being optimised together: a slot per image (its target, its state), moved into one
 * set of batch tensors for a run of steps and back out again (to save, to swap finished images
 * for new ones). A step never mixes images, so which images share a batch changes nothing.
 */
import { createHash } from 'node:crypto';
import { Rng, type Generator } from '@dermagan/gan';
import type { Tensor, Tensor3D, Tensor4D } from '@tensorflow/tfjs-core';
import type { Tf } from '@dermagan/tf';
import type { ProjectorOptions } from './options.ts';
import type { DoneState, RunningState } from './state.ts';
import { tapDistance } from './perceptual.ts';
import { perceptualTaps, synthesize, toLevels, type BatchTensors, type StepContext } from './step.ts';
import type { WStatistics } from './w-stats.ts';

/** An image to project. */
export interface ProjectionTarget {
  id: string;
  /** uint8 [r·r·3] at the generator's resolution. */
  pixels: Uint8Array;
  /** Generator class to condition on (null: unconditional generator). */
  label: number | null;
}

export interface Slot {
  /** Position in the job (the state's key). */
  position: number;
  target: ProjectionTarget;
  state: RunningState;
  /** w statistics of the target's class. */
  stats: WStatistics;
}

/** The image's own seed: the job seed mixed with its id, so its projection depends on nothing else. */
export function imageSeed(seed: number, id: string): number {
  return createHash('sha256').update(`${seed}\0${id}`).digest().readUInt32LE(0);
}

/** A fresh state: w = w_avg (once, or per layer in W+), noise maps N(0, 1), zero moments. */
export function initialState(G: Generator, target: ProjectionTarget, stats: WStatistics, options: ProjectorOptions): RunningState {
  const rng = new Rng(imageSeed(options.seed, target.id));
  const k = options.space === 'w' ? 1 : G.numWs;
  const w = new Float32Array(k * G.cfg.wDim);
  for (let i = 0; i < k; i++) w.set(stats.wAvg, i * G.cfg.wDim);
  const noise = G.synthesis.noiseInputs().map((n) => rng.normal(n.resolution * n.resolution));
  return {
    kind: 'running',
    id: target.id,
    step: 0,
    label: target.label,
    rng: rng.getState(),
    w,
    wM: new Float32Array(w.length),
    wV: new Float32Array(w.length),
    noise,
    noiseM: noise.map((n) => new Float32Array(n.length)),
    noiseV: noise.map((n) => new Float32Array(n.length)),
  };
}

function stack(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Slots → batch tensors (targets' taps computed here). */
export function upload(tf: Tf, ctx: StepContext, slots: readonly Slot[]): BatchTensors {
  const b = slots.length;
  const wDim = ctx.G.cfg.wDim;
  const k = slots[0]!.state.w.length / wDim;
  const r = ctx.G.cfg.resolution;
  const inputs = ctx.G.synthesis.noiseInputs();
  const w3 = (pick: (s: RunningState) => Float32Array) => tf.tensor3d(stack(slots.map((s) => pick(s.state))), [b, k, wDim]);
  const map = (i: number, pick: (s: RunningState) => Float32Array[]) =>
    tf.tensor4d(stack(slots.map((s) => pick(s.state)[i]!)), [b, inputs[i]!.resolution, inputs[i]!.resolution, 1]);
  const pixels = new Float32Array(b * r * r * 3);
  slots.forEach((s, i) => pixels.set(s.target.pixels, i * r * r * 3));
  return {
    w: w3((s) => s.w),
    wMoments: { m: w3((s) => s.wM), v: w3((s) => s.wV) },
    noise: inputs.map((_, i) => map(i, (s) => s.noise)),
    noiseMoments: inputs.map((_, i) => ({ m: map(i, (s) => s.noiseM), v: map(i, (s) => s.noiseV) })),
    target: tf.tidy(() => perceptualTaps(ctx, tf, tf.tensor4d(pixels, [b, r, r, 3]))),
  };
}

/** Rows of a [B, …] tensor as one array per slot. */
function rows(t: Tensor): Float32Array[] {
  const data = t.dataSync() as Float32Array;
  const n = t.shape[0]!;
  const per = data.length / n;
  return Array.from({ length: n }, (_, i) => data.slice(i * per, (i + 1) * per));
}

/** Batch tensors → the slots' states (step counts and random streams are kept by the caller). */
export function download(batch: BatchTensors, slots: Slot[]): void {
  const w = rows(batch.w);
  const wM = rows(batch.wMoments.m);
  const wV = rows(batch.wMoments.v);
  const noise = batch.noise.map(rows);
  const noiseM = batch.noiseMoments.map((m) => rows(m.m));
  const noiseV = batch.noiseMoments.map((m) => rows(m.v));
  slots.forEach((s, i) => {
    s.state.w = w[i]!;
    s.state.wM = wM[i]!;
    s.state.wV = wV[i]!;
    s.state.noise = noise.map((n) => n[i]!);
    s.state.noiseM = noiseM.map((n) => n[i]!);
    s.state.noiseV = noiseV.map((n) => n[i]!);
  });
}

/**
 * The results of finished rows: the projected image from the final w (no w noise) and noise maps,
 * as uint8 clamp(x·127.5 + 128) like the generator's samples, and its distances to the target.
 */
export function finish(tf: Tf, ctx: StepContext, batch: BatchTensors, slots: readonly Slot[], rowsDone: readonly number[]): DoneState[] {
  if (rowsDone.length === 0) return [];
  const r = ctx.G.cfg.resolution;
  const { images, distance, mse } = tf.tidy((): { images: Float32Array; distance: Float32Array; mse: Float32Array } => {
    const idx = tf.tensor1d(Int32Array.from(rowsDone), 'int32');
    const synth = synthesize(ctx, tf, tf.gather(batch.w, idx) as Tensor3D, batch.noise.map((n) => tf.gather(n, idx) as Tensor4D));
    const u8 = toLevels(tf, synth);
    const target = tf.tensor4d(stack(rowsDone.map((i) => Float32Array.from(slots[i]!.target.pixels))), [rowsDone.length, r, r, 3]);
    const targetTaps = batch.target.map((t) => tf.gather(t, idx));
    return {
      images: u8.dataSync() as Float32Array,
      distance: tapDistance(tf, targetTaps, perceptualTaps(ctx, tf, u8)).dataSync() as Float32Array,
      mse: tf.mean(tf.square(tf.div(tf.sub(u8, target), 255)), [1, 2, 3]).dataSync() as Float32Array,
    };
  });
  const per = r * r * 3;
  return rowsDone.map((row, j) => {
    const s = slots[row]!;
    return {
      kind: 'done',
      id: s.state.id,
      steps: s.state.step,
      label: s.state.label,
      w: s.state.w,
      noise: s.state.noise,
      image: Uint8Array.from(images.subarray(j * per, (j + 1) * per)),
      distance: distance[j]!,
      mse: mse[j]!,
    };
  });
}

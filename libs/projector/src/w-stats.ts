/**
 * Where the projection starts and how much noise it adds (REFERENCE §5): w_avg = mean of the w of
 * `samples` random z (with the class label, for a conditional generator), and the scalar spread
 * w_std = √(Σ‖w − w_avg‖² / samples).
 */
import { Rng, type Generator } from '@dermagan/gan';
import type { Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import type { Tf } from '@dermagan/tf';

export interface WStatistics {
  /** Mean w, [wDim]. */
  wAvg: Float32Array;
  /** Root mean squared distance of a w from wAvg. */
  wStd: number;
  /** The class the z were mapped with (null: unconditional). */
  label: number | null;
  samples: number;
  seed: number;
}

/** z per mapping call: bounds memory whatever `samples` is. */
const CHUNK = 1000;

export function wStatistics(tf: Tf, G: Generator, label: number | null, samples: number, seed: number): WStatistics {
  const { zDim, wDim, cDim } = G.cfg;
  if (cDim > 0 && (label === null || !Number.isInteger(label) || label < 0 || label >= cDim)) {
    throw new RangeError(`wStatistics: a conditional generator needs a class in [0, ${cDim}), got ${label}`);
  }
  const rng = new Rng(seed);
  const ws = new Float32Array(samples * wDim);
  for (let start = 0; start < samples; start += CHUNK) {
    const n = Math.min(CHUNK, samples - start);
    const w = tf.tidy(() => {
      const z = tf.tensor2d(rng.normal(n * zDim), [n, zDim]);
      const c = cDim > 0 ? (tf.oneHot(tf.tensor1d(new Int32Array(n).fill(label!), 'int32'), cDim).toFloat() as Tensor2D) : undefined;
      const out = G.mapping.apply(z, c);
      return out.rank === 3 ? tf.reshape(tf.slice(out as Tensor3D, [0, 0, 0], [n, 1, wDim]), [n, wDim]) : out;
    });
    ws.set(w.dataSync() as Float32Array, start * wDim);
    w.dispose();
  }
  const avg = new Float64Array(wDim);
  for (let i = 0; i < samples; i++) for (let j = 0; j < wDim; j++) avg[j]! += ws[i * wDim + j]!;
  for (let j = 0; j < wDim; j++) avg[j]! /= samples;
  let ss = 0;
  for (let i = 0; i < samples; i++) {
    for (let j = 0; j < wDim; j++) {
      const d = ws[i * wDim + j]! - avg[j]!;
      ss += d * d;
    }
  }
  return { wAvg: Float32Array.from(avg), wStd: Math.sqrt(ss / samples), label: cDim > 0 ? label : null, samples, seed };
}

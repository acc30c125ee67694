/**
 * What the latent methods need of a trained generator (G_ema): W samples from seeded z, and
 * images rendered from w (the same w on every layer, as the projector and the reference's
 * editing scripts use) or from per-layer ws, with the constant noise inputs.
 */
import { Rng, type Generator } from '@dermagan/gan';
import type { Tf } from '@dermagan/tf';
import { check } from '../errors.ts';
import type { Rows } from '../embedding/matrix.ts';

type Tensor2D = import('@tensorflow/tfjs').Tensor2D;
type Tensor3D = import('@tensorflow/tfjs').Tensor3D;

export interface SampleWOptions {
  n: number;
  /** Seed of the z draws (image i's z from seed + i, as generate.ts). */
  seed: number;
  /** Conditioning class per sample (conditional G); undefined = unconditional, or class 0..cDim−1 round-robin. */
  classes?: Int32Array;
  /** Truncation ψ towards w_avg (1 = none). */
  psi?: number;
  /** Samples per mapping pass. */
  batch?: number;
}

/** The class each sample is generated with: given, or round-robin over a conditional G's classes. */
export function sampleClasses(G: Generator, n: number, classes?: Int32Array): Int32Array | undefined {
  if (G.cfg.cDim === 0) return undefined;
  const c = classes ?? Int32Array.from({ length: n }, (_, i) => i % G.cfg.cDim);
  check(c.length === n, 'sampleW', () => `${c.length} classes for ${n} samples`);
  for (const v of c) check(v >= 0 && v < G.cfg.cDim, 'sampleW', () => `class ${v} outside [0, ${G.cfg.cDim})`);
  return c;
}

/** w = mapping(z, c) for seeded z: [n, wDim]. */
export function sampleW(tf: Tf, G: Generator, options: SampleWOptions): Rows & { classes: Int32Array | undefined } {
  const { n, seed } = options;
  check(Number.isInteger(n) && n > 0, 'sampleW', () => `n must be a positive integer, got ${n}`);
  const classes = sampleClasses(G, n, options.classes);
  const d = G.cfg.wDim;
  const out = new Float32Array(n * d);
  const batch = options.batch ?? 256;
  for (let start = 0; start < n; start += batch) {
    const count = Math.min(batch, n - start);
    const w = tf.tidy(() => {
      const zs = new Float32Array(count * G.cfg.zDim);
      for (let i = 0; i < count; i++) zs.set(new Rng(seed + start + i).normal(G.cfg.zDim), i * G.cfg.zDim);
      const c = classes ? (tf.oneHot(tf.tensor1d(classes.subarray(start, start + count), 'int32'), G.cfg.cDim).toFloat() as Tensor2D) : undefined;
      const ws = G.mapping.apply(tf.tensor2d(zs, [count, G.cfg.zDim]), c, { psi: options.psi ?? 1 }) as Tensor3D;
      return ws.slice([0, 0, 0], [count, 1, d]).reshape([count, d]);
    });
    out.set(w.dataSync() as Float32Array, start * d);
    w.dispose();
  }
  return { data: out, rows: n, cols: d, classes };
}

/** The generator's w_avg (the truncation centre). */
export function wAverage(G: Generator): Float32Array {
  check(G.mapping.wAvg, 'wAverage', () => 'this generator does not track w_avg');
  return Float32Array.from(G.mapping.wAvg.dataSync() as Float32Array);
}

/** Images (uint8 [n, R, R, C]) from ws [n, numWs, wDim]; pass w [n, wDim] to use it on every layer. */
export function renderWs(tf: Tf, G: Generator, ws: Float32Array, n: number, batch = 16): Uint8Array {
  const k = G.numWs;
  const d = G.cfg.wDim;
  const perLayer = ws.length === n * d;
  check(perLayer || ws.length === n * k * d, 'renderWs', () => `expected ${n}×${d} (w) or ${n}×${k}×${d} (ws) values, got ${ws.length}`);
  const r = G.cfg.resolution;
  const per = r * r * G.cfg.imgChannels;
  const out = new Uint8Array(n * per);
  for (let start = 0; start < n; start += batch) {
    const count = Math.min(batch, n - start);
    const img = tf.tidy(() => {
      const input = perLayer
        ? (tf.tile(tf.tensor3d(ws.subarray(start * d, (start + count) * d), [count, 1, d]), [1, k, 1]) as Tensor3D)
        : tf.tensor3d(ws.subarray(start * k * d, (start + count) * k * d), [count, k, d]);
      const x = G.synthesis.apply(input, { noiseMode: 'const' });
      return tf.clipByValue(tf.add(tf.mul(x, 127.5), 128), 0, 255).floor().toInt();
    });
    out.set(img.dataSync() as Int32Array, start * per);
    img.dispose();
  }
  return out;
}

/** ws [n, numWs, wDim] from w [n, wDim] (broadcast). */
export function broadcastW(w: Float32Array, n: number, numWs: number, d: number): Float32Array {
  const out = new Float32Array(n * numWs * d);
  for (let i = 0; i < n; i++) for (let l = 0; l < numWs; l++) out.set(w.subarray(i * d, (i + 1) * d), (i * numWs + l) * d);
  return out;
}

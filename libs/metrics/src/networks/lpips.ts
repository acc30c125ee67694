/**
 * LPIPS-VGG16 on images as dermagan holds them: uint8 pairs (`dermagan lpips`) and float batches in
 * [0, 255] (PPL's path end-points). Wraps networks/lpips-vgg16.ts with the converted `lpips-vgg16`
 * weights (provisioned by `npm run setup`) and batching; distances come back to JavaScript, features
 * never do (a 256² image has ~8M tap values).
 */
import { loadPretrained } from '@dermagan/pretrained';
import type { Tf } from '@dermagan/tf';
import { MetricInputError } from '../features-matrix.ts';
import { buildLpipsVgg16, type LpipsVgg16 } from './lpips-vgg16.ts';
import { MIN_IMAGE_SIZE } from './preprocess.ts';

export const LPIPS_VGG16_ID = 'lpips-vgg16';

export interface Lpips {
  readonly id: typeof LPIPS_VGG16_ID;
  /** sha256 of the converted weights. */
  readonly hash: string;
  readonly net: LpipsVgg16;
  /** LPIPS of image i of `a` with image i of `b`: uint8 NHWC [n, size, size, 3] each → [n]. */
  pairs(a: Uint8Array, b: Uint8Array, n: number, size: number): Promise<Float64Array>;
  /**
   * LPIPS of rows 2i and 2i+1 of float NHWC images [2m, h, w, 3] with values in [0, 255]
   * (unclamped: NVlabs' PPL measures the raw generator output) → [m].
   */
  consecutivePairs(data: Float32Array, shape: readonly [number, number, number, number]): Promise<Float64Array>;
  dispose(): void;
}

export interface LpipsOptions {
  /** Pairs per network call (default 8: VGG16 at 256² holds ~0.5 GB of activations per pair). */
  batch?: number;
  /** Cache root holding the converted weights (default: the dermagan cache). */
  cache?: string;
}

export async function createLpips(tf: Tf, options: LpipsOptions = {}): Promise<Lpips> {
  const batch = options.batch ?? 8;
  const weights = await loadPretrained(LPIPS_VGG16_ID, options.cache ? { cache: options.cache } : {});
  const net = buildLpipsVgg16(tf, weights);
  const checkSize = (h: number, w: number) => {
    if (h < MIN_IMAGE_SIZE || w < MIN_IMAGE_SIZE) throw new MetricInputError(`lpips: images are ${h}×${w}; LPIPS-VGG16 needs at least ${MIN_IMAGE_SIZE}×${MIN_IMAGE_SIZE} (its fifth tap is 1/16 of the side)`);
  };
  return {
    id: LPIPS_VGG16_ID,
    hash: weights.sha256,
    net,
    async pairs(a, b, n, size) {
      const per = size * size * 3;
      if (a.length !== n * per || b.length !== n * per) throw new MetricInputError(`lpips: ${n} pairs of ${size}×${size}×3 need ${n * per} bytes on each side, got ${a.length} and ${b.length}`);
      checkSize(size, size);
      const out = new Float64Array(n);
      for (let start = 0; start < n; start += batch) {
        const count = Math.min(batch, n - start);
        const d = tf.tidy(() => {
          const load = (p: Uint8Array) => tf.sub(tf.div(tf.tensor4d(Float32Array.from(p.subarray(start * per, (start + count) * per)), [count, size, size, 3]), 127.5), 1) as never;
          return net.lpipsDistance(load(a), load(b));
        });
        out.set(await d.data(), start);
        d.dispose();
      }
      return out;
    },
    async consecutivePairs(data, shape) {
      const [n2, h, w, c] = shape;
      if (n2 % 2 !== 0 || c !== 3 || data.length !== n2 * h * w * c) throw new MetricInputError(`lpips: expected an even number of RGB images matching [${shape}]`);
      checkSize(h, w);
      const m = n2 / 2;
      const out = new Float64Array(m);
      const per = h * w * c;
      for (let start = 0; start < m; start += batch) {
        const count = Math.min(batch, m - start);
        const d = tf.tidy(() => {
          const x = tf.sub(tf.div(tf.tensor4d(data.subarray(2 * start * per, 2 * (start + count) * per), [2 * count, h, w, c]), 127.5), 1);
          const pairs = tf.reshape(x, [count, 2, h, w, c]);
          const [a, b] = tf.unstack(pairs, 1);
          return net.lpipsDistance(a as never, b as never);
        });
        out.set(await d.data(), start);
        d.dispose();
      }
      return out;
    },
    dispose() {
      net.dispose();
    },
  };
}

/** The LPIPS taps: their squared distance is @dermagan/metrics' LPIPS, and gradients reach the image. */
import { beforeAll, describe, expect, it } from 'vitest';
import { createLpips } from '@dermagan/metrics';
import { loadTf, type Tf } from '@dermagan/tf';
import type { Tensor4D } from '@tensorflow/tfjs-core';
import { lpipsFeatures } from './lpips-features.ts';
import { tapDistance } from './perceptual.ts';

let tf: Tf;
beforeAll(async () => {
  tf = (await loadTf()).tf;
});

describe('lpipsFeatures', () => {
  for (const size of [16, 32]) {
    it(`Σ(f_a − f_b)² is the LPIPS distance (${size}², 3 pairs)`, async () => {
      const lpips = await createLpips(tf);
      const features = await lpipsFeatures(tf);
      const n = 3;
      const a = Uint8Array.from({ length: n * size * size * 3 }, (_, i) => (i * 37) % 256);
      const b = Uint8Array.from({ length: n * size * size * 3 }, (_, i) => (i * 11 + 90) % 256);
      const expected = await lpips.pairs(a, b, n, size);
      const t = (p: Uint8Array) => tf.tensor4d(Float32Array.from(p), [n, size, size, 3]) as Tensor4D;
      const got = tapDistance(tf, features.taps(t(a)), features.taps(t(b))).dataSync();
      expected.forEach((e, i) => expect(got[i]! / e).toBeCloseTo(1, 4));
      expect(features.id).toBe('lpips-vgg16');
      expect(features.hash).toBe(lpips.hash);
      features.dispose?.();
      lpips.dispose();
    });
  }

  it('is differentiable with respect to the image (finite, non-zero gradient)', async () => {
    const features = await lpipsFeatures(tf);
    const target = features.taps(tf.fill([1, 16, 16, 3], 100) as Tensor4D);
    const g = tf.grad((x) => tf.sum(tapDistance(tf, target, features.taps(x as Tensor4D))))(tf.randomUniform([1, 16, 16, 3], 0, 255, 'float32', 4) as Tensor4D);
    const v = g.dataSync();
    expect(v.every(Number.isFinite)).toBe(true);
    expect(Math.max(...Array.from(v, Math.abs))).toBeGreaterThan(0);
    features.dispose?.();
  });
});

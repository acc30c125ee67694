import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeNpy } from '@dermagan/npy';
import { loadPretrained } from '@dermagan/pretrained';
import { loadTf, type Tf } from '@dermagan/tf';
import { buildInception2015, INCEPTION_INPUT_SIZE, type Inception2015 } from './inception-2015.ts';
import { buildLpipsVgg16, type LpipsVgg16 } from './lpips-vgg16.ts';
import { preprocessImages } from './preprocess.ts';

// Reference values: torch running the TorchScript Inception and the lpips algorithm on the same
// weights (fixtures/make_feature_net_fixtures.py). The weights come from `npm run setup`.
const fixture = (name: string) => decodeNpy(readFileSync(join(import.meta.dirname, '..', '..', 'fixtures', name)), name);
const SIZES = [32, 64, 128] as const;

let tf: Tf;
let inception: Inception2015;
let lpips: LpipsVgg16;
beforeAll(async () => {
  ({ tf } = await loadTf());
  inception = buildInception2015(tf, await loadPretrained('inception-2015'));
  lpips = buildLpipsVgg16(tf, await loadPretrained('lpips-vgg16'));
});
afterAll(() => {
  inception?.dispose();
  lpips?.dispose();
});

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('inception-2015 pool3 (sg2ada preprocessing) against torch running the TorchScript file', () => {
  for (const size of SIZES) {
    it(`${size}² → 299: 3 images within 1e-3 absolute`, () => {
      const images = fixture(`feature-nets-images-${size}.npy`);
      const expected = fixture(`feature-nets-inception-${size}.npy`).data as Float32Array;
      // A handful per size keeps the suite fast (Inception at 299² is ~5.7 GFLOP an image).
      const first = size === 32 ? 0 : size === 64 ? 5 : 11;
      const n = 3;
      const per = size * size * 3;
      const pixels = (images.data as Uint8Array).subarray(first * per, (first + n) * per);
      const x = preprocessImages(tf, pixels, n, size, 'sg2ada', INCEPTION_INPUT_SIZE);
      const f = inception.pool3(x);
      x.dispose();
      expect(f.shape).toEqual([n, 2048]);
      const got = f.dataSync();
      f.dispose();
      expect(maxAbsDiff(got, expected.subarray(first * 2048, (first + n) * 2048))).toBeLessThan(1e-3);
    });
  }
});

describe('LPIPS-VGG16 against the lpips algorithm in torch on the same weights', () => {
  for (const size of SIZES) {
    // Every pair at 32² and 64²; 4 at 128² (VGG16 there costs ~1.6 GFLOP an image).
    const pairs = size === 128 ? 4 : 16;
    it(`${size}²: ${pairs} pairs (i, i+1) within 1e-4`, () => {
      const images = fixture(`feature-nets-images-${size}.npy`);
      const expected = fixture(`feature-nets-lpips-${size}.npy`).data as Float32Array;
      const got = tf.tidy(() => {
        const all = tf.sub(tf.div(tf.tensor4d(Float32Array.from(images.data as Uint8Array), [16, size, size, 3]), 127.5), 1);
        const b = tf.concat([tf.slice(all, 1, 15), tf.slice(all, 0, 1)], 0);
        return lpips.lpipsDistance(tf.slice(all, 0, pairs) as never, tf.slice(b, 0, pairs) as never).dataSync();
      });
      expect(maxAbsDiff(got, expected.subarray(0, pairs))).toBeLessThan(1e-4);
    });
  }

  it('is 0 for identical images, symmetric, and differentiable down to the input', () => {
    const a = tf.randomUniform([2, 32, 32, 3], -1, 1, 'float32', 1) as never;
    const b = tf.randomUniform([2, 32, 32, 3], -1, 1, 'float32', 2) as never;
    expect(Array.from(lpips.lpipsDistance(a, a).dataSync())).toEqual([0, 0]);
    const ab = lpips.lpipsDistance(a, b).dataSync();
    const ba = lpips.lpipsDistance(b, a).dataSync();
    expect(maxAbsDiff(ab, ba)).toBeLessThan(1e-6);
    const grad = tf.grad((x) => tf.sum(lpips.lpipsDistance(x as never, b)))(a);
    const g = grad.dataSync();
    expect(g.every(Number.isFinite)).toBe(true);
    expect(g.some((v) => v !== 0)).toBe(true);
    const taps = lpips.vgg16Features(a);
    expect(taps.map((t) => t.shape)).toEqual([[2, 32, 32, 64], [2, 16, 16, 128], [2, 8, 8, 256], [2, 4, 4, 512], [2, 2, 2, 512]]);
    tf.dispose([a, b, grad, ...taps]);
  });
});

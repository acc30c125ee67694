import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeNpy } from '@dermagan/npy';
import { EXPECTED, FIXTURES } from './fixtures.test-helpers.ts';
import { filteredMean, perceptualPathLength, prepareForFeatures, type ImageBatch, type PathGenerator } from './ppl.ts';
import type { Rng } from './random.ts';

/**
 * A toy generator with an analytic path length: the image is a linear map of w,
 * img[p] = Σ_c A[p][c] w[c] (values stay small, well inside [−1, 1]). With identity features
 * on [0, 255] images, f(img) = 127.5 (A w + 1), so for 'end' sampling
 *   score = ‖127.5 A (w₁ − w₀) ε‖² / ε² = 127.5² ‖A (w₁ − w₀)‖²  exactly (up to float32).
 */
function linearGenerator(side: number, wDim: number): PathGenerator & { a: Float64Array } {
  const pixels = side * side * 3;
  const a = new Float64Array(pixels * wDim).map((_, i) => Math.sin(i * 0.7) * 0.01);
  return {
    a,
    wDim,
    sampleW(n: number, rng: Rng) {
      return Float32Array.from({ length: n * wDim }, () => rng.normal());
    },
    synthesize(ws: Float32Array, n: number): ImageBatch {
      const data = new Float32Array(n * pixels);
      for (let b = 0; b < n; b++) for (let p = 0; p < pixels; p++) {
        let s = 0;
        for (let c = 0; c < wDim; c++) s += a[p * wDim + c]! * ws[b * wDim + c]!;
        data[b * pixels + p] = s;
      }
      return { data, shape: [n, side, side, 3] };
    },
  };
}

const identityFeatures = (images: ImageBatch) => Float64Array.from(images.data);

describe('perceptualPathLength', () => {
  it("'end' sampling on a linear generator gives 127.5² ‖A (w₁ − w₀)‖² per sample", async () => {
    const gen = linearGenerator(4, 5);
    const seen: Float32Array[] = [];
    const recording: PathGenerator = { wDim: 5, sampleW: (n, rng) => { const w = gen.sampleW(n, rng) as Float32Array; seen.push(w); return w; }, synthesize: gen.synthesize };
    const epsilon = 1e-2; // float32 images: a larger ε keeps the finite difference exact to ~1e-4
    const r = await perceptualPathLength(recording, identityFeatures, { samples: 10, batch: 4, epsilon, seed: 3 });
    // Batches draw w₀ then w₁: (4, 4), (4, 4), (2, 2).
    let k = 0;
    for (let b = 0; b < seen.length; b += 2) {
      const w0 = seen[b]!;
      const w1 = seen[b + 1]!;
      for (let i = 0; i < w0.length / 5; i++, k++) {
        let want = 0;
        for (let p = 0; p < 48; p++) {
          let s = 0;
          for (let c = 0; c < 5; c++) s += gen.a[p * 5 + c]! * (w1[i * 5 + c]! - w0[i * 5 + c]!);
          want += (127.5 * s) ** 2;
        }
        expect(Math.abs(r.scores[k]! - want)).toBeLessThan(2e-3 * want);
      }
    }
    expect(k).toBe(10);
  });

  it('is seeded: same seed, same scores; another seed, other scores', async () => {
    const gen = linearGenerator(4, 3);
    const a = await perceptualPathLength(gen, identityFeatures, { samples: 6, seed: 1, epsilon: 1e-2 });
    const b = await perceptualPathLength(gen, identityFeatures, { samples: 6, seed: 1, epsilon: 1e-2 });
    const c = await perceptualPathLength(gen, identityFeatures, { samples: 6, seed: 2, epsilon: 1e-2 });
    expect(b.scores).toEqual(a.scores);
    expect(c.scores).not.toEqual(a.scores);
    expect(a).toMatchObject({ samples: 6, sampling: 'end', crop: false, seed: 1 });
  });

  it('refuses a generator that returns the wrong number of w values', async () => {
    const bad: PathGenerator = { wDim: 3, sampleW: () => new Float32Array(2), synthesize: () => ({ data: new Float32Array(0), shape: [0, 1, 1, 3] }) };
    await expect(perceptualPathLength(bad, identityFeatures, { samples: 2 })).rejects.toThrow(/sampleW\(2\) returned 2 and 2 values, expected 6/);
  });
});

describe('the P1–P99 filter', () => {
  it('equals numpy percentile(lower/higher) and the kept mean', () => {
    const scores = decodeNpy(readFileSync(join(FIXTURES, 'ppl-scores.npy'))).data as Float64Array;
    const want = EXPECTED.pplFilter;
    const got = filteredMean(scores);
    expect(got.lo).toBe(want.lo);
    expect(got.hi).toBe(want.hi);
    expect(Math.abs(got.value - want.mean)).toBeLessThan(1e-12 * want.mean);
  });
});

describe('prepareForFeatures', () => {
  it('maps [−1, 1] to [0, 255] and crops rows [3H/8, 7H/8), columns [2W/8, 6W/8)', () => {
    const data = new Float32Array(16 * 16 * 3).map((_, i) => (i % 3) - 1); // −1, 0, 1 per channel
    const out = prepareForFeatures({ data, shape: [1, 16, 16, 3] }, true);
    expect(out.shape).toEqual([1, 8, 8, 3]);
    expect(Array.from(out.data.subarray(0, 3))).toEqual([0, 127.5, 255]);
  });
});

/** Reals: resize at load (area when downscaling), batches in [−1, 1], x-flips, label prior. */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTf } from '@dermagan/tf';
import { Rng } from './rng.ts';
import type { Tf } from './tf-types.ts';
import { inMemoryData, resizeImages, sampleRealBatch } from './training-data.ts';

let tf: Tf;
beforeAll(async () => {
  tf = (await loadTf()).tf;
});

describe('resizeImages', () => {
  it('halving is the 2×2 area mean (rounded)', () => {
    const px = Uint8Array.from({ length: 4 * 4 * 3 }, (_, i) => (i * 5) % 256);
    const out = resizeImages(tf, px, 1, 4, 2);
    const at = (y: number, x: number, c: number) => px[(y * 4 + x) * 3 + c]!;
    expect(out[0]).toBe(Math.round((at(0, 0, 0) + at(0, 1, 0) + at(1, 0, 0) + at(1, 1, 0)) / 4));
    expect(out.length).toBe(2 * 2 * 3);
  });
});

describe('sampleRealBatch', () => {
  it('maps 0 → −1 and 255 → 1, and a flip mirrors columns', () => {
    const r = 2;
    const px = Uint8Array.from([0, 0, 0, 255, 255, 255, 0, 0, 0, 255, 255, 255]);
    const data = inMemoryData(px, Int32Array.from([1]), r, ['a', 'b']);
    const rng = new Rng(0);
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const { img, c } = sampleRealBatch(tf, data, rng, 1, { mirror: true, cDim: 2 });
      const v = Array.from(img.dataSync());
      seen.add(JSON.stringify(v));
      expect(Array.from(c!.dataSync())).toEqual([0, 1]);
    }
    expect([...seen].sort()).toEqual([JSON.stringify([-1, -1, -1, 1, 1, 1, -1, -1, -1, 1, 1, 1]), JSON.stringify([1, 1, 1, -1, -1, -1, 1, 1, 1, -1, -1, -1])].sort());
  });
});

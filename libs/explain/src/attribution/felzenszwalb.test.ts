import { readFile } from 'node:fs/promises';
import { readNpy } from '@dermagan/npy';
import { describe, expect, it } from 'vitest';
import { felzenszwalb } from './felzenszwalb.ts';

const FIXTURES = new URL('../../fixtures/felzenszwalb/', import.meta.url).pathname;

interface Case {
  image: string;
  scale: number;
  sigma: number;
  minSize: number;
  labels: string;
  count: number;
}

const cases = JSON.parse(await readFile(`${FIXTURES}cases.json`, 'utf8')) as Case[];

describe('felzenszwalb equals scikit-image', () => {
  it.each(cases.map((c) => [`${c.image} scale=${c.scale} sigma=${c.sigma} min_size=${c.minSize}`, c] as const))('%s', async (_, c) => {
    const input = await readNpy(`${FIXTURES}${c.image}.input.npy`);
    const [h, w, ch] = input.shape as [number, number, number];
    const expected = await readNpy(`${FIXTURES}${c.labels}`);
    const seg = felzenszwalb(input.data as Float64Array, h, w, ch, { scale: c.scale, sigma: c.sigma, minSize: c.minSize });
    expect(seg.count).toBe(c.count);
    expect(Array.from(seg.labels)).toEqual(Array.from(expected.data as Int32Array));
  });
});

describe('felzenszwalb', () => {
  it('throws when …', () => {
    expect(() => felzenszwalb(new Float64Array(10), 2, 2, 3, { scale: 1, sigma: 0.8, minSize: 1 })).toThrow(/Error in felzenszwalb: expected 2×2×3 = 12 values, got 10/);
    expect(() => felzenszwalb(new Float64Array(12), 2, 2, 3, { scale: 0, sigma: 0.8, minSize: 1 })).toThrow(/scale must be > 0/);
  });
});

import { loadTf } from '@dermagan/tf';
import { describe, expect, it } from 'vitest';
import { Rng } from '../rng.ts';
import { applyTransforms, drawTransforms, STUDY_AUGMENTATION, transformIndexMap } from './augment.ts';

const { tf } = await loadTf();
const identity = (n: number) => Array.from({ length: n * n }, (_, i) => i);

describe('transformIndexMap', () => {
  it('0° without flips is the identity', () => {
    expect(Array.from(transformIndexMap(5, { degrees: 0, flipH: false, flipV: false }))).toEqual(identity(5));
  });
  it('a horizontal flip reverses each row, a vertical flip the row order', () => {
    const h = transformIndexMap(3, { degrees: 0, flipH: true, flipV: false });
    expect(Array.from(h)).toEqual([2, 1, 0, 5, 4, 3, 8, 7, 6]);
    const v = transformIndexMap(3, { degrees: 0, flipH: false, flipV: true });
    expect(Array.from(v)).toEqual([6, 7, 8, 3, 4, 5, 0, 1, 2]);
  });
  it('90° turns the image counter-clockwise (the top-right pixel lands top-left), nothing filled', () => {
    const m = transformIndexMap(3, { degrees: 90, flipH: false, flipV: false });
    expect(Array.from(m)).toEqual([2, 5, 8, 1, 4, 7, 0, 3, 6]);
  });
  it('45° leaves the corners without a source (filled with 0) and keeps the centre', () => {
    const m = transformIndexMap(9, { degrees: 45, flipH: false, flipV: false });
    expect([m[0], m[8], m[72], m[80]]).toEqual([-1, -1, -1, -1]);
    expect(m[40]).toBe(40);
  });
});

describe('applyTransforms', () => {
  it('x=[2,3,3,1]: image 0 flipped left-right, image 1 unchanged; out-of-image pixels are 0', () => {
    const x = tf.tensor4d([...Array.from({ length: 9 }, (_, i) => i + 1), ...Array.from({ length: 9 }, (_, i) => 10 + i)], [2, 3, 3, 1]);
    const y = applyTransforms(tf, x, [
      { degrees: 0, flipH: true, flipV: false },
      { degrees: 0, flipH: false, flipV: false },
    ]);
    expect(Array.from(y.dataSync())).toEqual([3, 2, 1, 6, 5, 4, 9, 8, 7, 10, 11, 12, 13, 14, 15, 16, 17, 18]);
    const r = applyTransforms(tf, tf.ones([1, 9, 9, 1]), [{ degrees: 45, flipH: false, flipV: false }]).dataSync();
    expect(r[0]).toBe(0);
    expect(r[40]).toBe(1);
  });
  it('draws angles within ±30° and both flips, reproducibly from the seed', () => {
    const a = drawTransforms(new Rng(4), 200, STUDY_AUGMENTATION);
    expect(drawTransforms(new Rng(4), 200, STUDY_AUGMENTATION)).toEqual(a);
    expect(Math.max(...a.map((t) => Math.abs(t.degrees)))).toBeLessThanOrEqual(30);
    expect(Math.max(...a.map((t) => Math.abs(t.degrees)))).toBeGreaterThan(25);
    expect(a.filter((t) => t.flipH).length).toBeGreaterThan(70);
    expect(a.filter((t) => t.flipV).length).toBeGreaterThan(70);
  });
  it('throws when the number of transforms differs from the batch', () => {
    expect(() => applyTransforms(tf, tf.zeros([2, 3, 3, 3]), [])).toThrow(/0 transforms for 2 images/);
  });
});

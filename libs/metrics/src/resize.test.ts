import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeNpy } from '@dermagan/npy';
import { FIXTURES } from './fixtures.test-helpers.ts';
import { resizeImages, type ResizeMode } from './resize.ts';

const load = (name: string) => decodeNpy(readFileSync(join(FIXTURES, name)), name);

describe('resizeImages against PIL (clean-fid clean) and the TF1 bilinear rule', () => {
  const input = load('resize-input.npy');
  it.each([
    ['pil-bicubic', 5],
    ['pil-bicubic', 29],
    ['tf-bilinear', 5],
    ['tf-bilinear', 29],
  ] as const)('mode=%s 13→%i equals the reference to 1e-3 of a grey level', (mode, size) => {
    const want = load(`resize-${mode}-${size}.npy`).data as Float32Array;
    const got = resizeImages(input.data as Uint8Array, [2, 13, 13, 3], size, mode as ResizeMode);
    expect(got.length).toBe(want.length);
    let worst = 0;
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
    expect(worst).toBeLessThan(1e-3);
  });

  it('a constant image stays constant in every mode and size', () => {
    const grey = new Uint8Array(10 * 10 * 3).fill(77);
    for (const mode of ['pil-bicubic', 'tf-bilinear'] as const) {
      for (const size of [3, 10, 17]) expect(new Set(resizeImages(grey, [1, 10, 10, 3], size, mode))).toEqual(new Set([77]));
    }
  });

  it("'none' passes images of the right size through and refuses others", () => {
    const px = new Uint8Array(4 * 4 * 3).map((_, i) => i);
    expect(Array.from(resizeImages(px, [1, 4, 4, 3], 4, 'none'))).toEqual(Array.from(px));
    expect(() => resizeImages(px, [1, 4, 4, 3], 8, 'none')).toThrow(/'none' needs 8×8 images, got 4×4/);
  });
});

/**
 * Execute one geometric transform per sample, as NVlabs `training/augment.py` does: reflect-pad
 * by the margin the batch's matrices need, ×2 upsample with sym6, bilinear resampling under the
 * (adjusted) inverse matrix, ×2 downsample with sym6 and crop. Layout NHWC; gradients flow to
 * the images through every step.
 */
import type { Tensor4D } from '@tensorflow/tfjs-core';
import type { Tf } from '@dermagan/tf';
import { FILTER_PAD, SYM6, downsample2x, upsample2x } from './filters.ts';
import { affineBilinearSample } from './grid-sample.ts';
import { chain3, scale2d, translate2d, type Mat3 } from './matrices.ts';

/** Reflect-padding per side [left, top, right, bottom] that keeps the transformed image covered. */
export function geometricMargin(gInv: readonly Mat3[], width: number, height: number): [number, number, number, number] {
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  const corners = [[-cx, -cy], [cx, -cy], [cx, cy], [-cx, cy]] as const;
  const m = [-Infinity, -Infinity, -Infinity, -Infinity];
  for (const g of gInv) {
    for (const [x, y] of corners) {
      const u = g[0]! * x + g[1]! * y + g[2]!;
      const v = g[3]! * x + g[4]! * y + g[5]!;
      m[0] = Math.max(m[0]!, -u);
      m[1] = Math.max(m[1]!, -v);
      m[2] = Math.max(m[2]!, u);
      m[3] = Math.max(m[3]!, v);
    }
  }
  const extra = [FILTER_PAD * 2 - cx, FILTER_PAD * 2 - cy, FILTER_PAD * 2 - cx, FILTER_PAD * 2 - cy];
  const limit = [width - 1, height - 1, width - 1, height - 1];
  return m.map((v, i) => Math.ceil(Math.min(Math.max(v + extra[i]!, 0), limit[i]!))) as [number, number, number, number];
}

/**
 * Reflect padding (torch 'reflect' = tf 'reflect': the edge pixel is not repeated), built from
 * slices, reverses and a concat. Not `tf.mirrorPad`: its registered gradient in tfjs 4.22 only
 * crops dy, dropping the gradient that flows through the reflected border pixels.
 */
export function reflectPad(tf: Tf, x: Tensor4D, top: number, bottom: number, left: number, right: number): Tensor4D {
  return tf.tidy(() => {
    const along = (t: Tensor4D, axis: 1 | 2, before: number, after: number): Tensor4D => {
      if (before === 0 && after === 0) return t;
      const size = t.shape[axis];
      if (before >= size || after >= size) {
        throw new RangeError(`reflectPad: padding ${before}/${after} must be smaller than the dimension ${size}`);
      }
      const part = (start: number, length: number): Tensor4D => {
        const begin = [0, 0, 0, 0];
        const len = [...t.shape];
        begin[axis] = start;
        len[axis] = length;
        return tf.reverse(tf.slice(t, begin, len), axis);
      };
      const pieces: Tensor4D[] = [];
      if (before > 0) pieces.push(part(1, before));
      pieces.push(t);
      if (after > 0) pieces.push(part(size - 1 - after, after));
      return tf.concat(pieces, axis);
    };
    return along(along(x, 1, top, bottom), 2, left, right);
  });
}

/** Apply G⁻¹ (one per sample, from `geometricInverse`) to `images` [N, H, W, C]; same shape out. */
export function applyGeometric(tf: Tf, images: Tensor4D, gInv: readonly Mat3[]): Tensor4D {
  const [, height, width] = images.shape;
  const [mx0, my0, mx1, my1] = geometricMargin(gInv, width, height);
  return tf.tidy(() => {
    const padded = reflectPad(tf, images, my0, my1, mx0, mx1);
    const up = upsample2x(tf, padded);
    // Output grid of the resampling: the image plus the filter's support, at ×2.
    const outH = (height + FILTER_PAD * 2) * 2;
    const outW = (width + FILTER_PAD * 2) * 2;
    const affine = gInv.map((g) => {
      // Into padded-image coordinates, then into the ×2 grid (half-pixel phase of the upsampler).
      const m = chain3(
        translate2d(-0.5, -0.5),
        scale2d(2, 2),
        translate2d((mx0 - mx1) / 2, (my0 - my1) / 2),
        g,
        scale2d(0.5, 0.5),
        translate2d(0.5, 0.5),
      );
      return [m[0]!, m[1]!, m[2]!, m[3]!, m[4]!, m[5]!];
    });
    const sampled = affineBilinearSample(tf, up, affine, outH, outW);
    // The reference's downsample2d(padding = −2·pad) adds the filter's own ⌊(taps − 1)/2⌋: crop 1.
    return downsample2x(tf, sampled, FILTER_PAD * 2 - Math.floor((SYM6.length - 1) / 2));
  });
}

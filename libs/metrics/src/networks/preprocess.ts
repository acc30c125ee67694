/**
 * What happens to images before Inception-2015, as a named mode recorded with every score (FIDs
 * of different resizes differ by points: Parmar et al., "On Aliased Resizing and Surprising
 * Subtleties in GAN Evaluation", CVPR 2022, arXiv:2104.11222):
 * - `sg2ada` (default; what the paper's code, NVlabs stylegan2-ada-pytorch, did): uint8 → float32
 *   → bilinear resize to 299 with half-pixel centres (`F.interpolate(..., mode='bilinear',
 *   align_corners=False)`, no antialiasing) → (x − 128)/128;
 * - `clean` (clean-fid's default): PIL's antialiased bicubic on float pixels, clipped to [0, 255]
 *   (resize.ts `pil-bicubic`) → (x − 128)/128;
 * - `tf-legacy` (TTUR / clean-fid's `legacy_tensorflow`): TF1 `resize_bilinear` without
 *   half-pixel centres (align_corners=False) → (x − 128)/128.
 * Images already 299² are not resized in any mode.
 */
import type { Tensor4D } from '@tensorflow/tfjs-core';
import type { Tf } from '@dermagan/tf';
import { MetricInputError } from '../features-matrix.ts';
import { resizeImages, type ResizeMode } from '../resize.ts';

import { PREPROCESSING_MODES, type Preprocessing } from '@dermagan/contracts';

export { PREPROCESSING_MODES, type Preprocessing };
export const DEFAULT_PREPROCESSING: Preprocessing = 'sg2ada';

/** The resize each mode does (resize.ts names; recorded beside the mode in provenance). */
export const PREPROCESSING_RESIZE: Readonly<Record<Preprocessing, ResizeMode>> = Object.freeze({
  sg2ada: 'torch-bilinear',
  clean: 'pil-bicubic',
  'tf-legacy': 'tf-bilinear',
});

/** Smallest image side the feature networks accept (below it a 299² resize is mostly invention). */
export const MIN_IMAGE_SIZE = 16;

export function isPreprocessing(v: string): v is Preprocessing {
  return (PREPROCESSING_MODES as readonly string[]).includes(v);
}

/**
 * uint8 NHWC RGB images [n, size, size, 3] → the network input float32 [n, out, out, 3] in [−1, 1)
 * (`out` = 299 for Inception).
 */
export function preprocessImages(tf: Tf, pixels: Uint8Array, n: number, size: number, mode: Preprocessing, out: number): Tensor4D {
  if (pixels.length !== n * size * size * 3) throw new MetricInputError(`preprocessImages: ${n} images of ${size}×${size}×3 need ${n * size * size * 3} bytes, got ${pixels.length}`);
  if (size < MIN_IMAGE_SIZE) throw new MetricInputError(`preprocessImages: images are ${size}×${size}; the feature networks need at least ${MIN_IMAGE_SIZE}×${MIN_IMAGE_SIZE}`);
  if (mode === 'clean' && size !== out) {
    const resized = resizeImages(pixels, [n, size, size, 3], out, 'pil-bicubic');
    return tf.tidy(() => tf.div(tf.sub(tf.tensor4d(resized, [n, out, out, 3]), 128), 128));
  }
  return tf.tidy(() => {
    let x: Tensor4D = tf.tensor4d(Float32Array.from(pixels), [n, size, size, 3]);
    if (size !== out) x = tf.image.resizeBilinear(x, [out, out], false, mode === 'sg2ada');
    return tf.div(tf.sub(x, 128), 128);
  });
}

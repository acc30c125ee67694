import type { Tf } from '@dermagan/tf';

type Tensor4D = import('@tensorflow/tfjs').Tensor4D;

/** ImageNet per-channel mean and std of pixels in [0, 1] (the study's and EfficientNet's normalisation). */
export const IMAGENET_NORMALIZATION = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } as const;

export interface Normalization {
  mean: readonly number[];
  std: readonly number[];
}

/** uint8 NHWC pixels of `count` images of side `size` → float32 [count, size, size, 3] in [0, 1]. */
export function toUnitTensor(tf: Tf, pixels: Uint8Array, count: number, size: number): Tensor4D {
  if (pixels.length !== count * size * size * 3) {
    throw new RangeError(`toUnitTensor: ${pixels.length} bytes for ${count} images of ${size}x${size}x3 (expected ${count * size * size * 3})`);
  }
  return tf.tidy(() => tf.tensor4d(pixels, [count, size, size, 3], 'int32').toFloat().div(255));
}

/**
 * Bring unit-range images to the model's input: resize (bilinear) to `size` when the side
 * differs, then subtract the mean and divide by the std per channel.
 */
export function normalizeImages(tf: Tf, unit: Tensor4D, size: number, norm: Normalization): Tensor4D {
  return tf.tidy(() => {
    const resized = unit.shape[1] === size ? unit : tf.image.resizeBilinear(unit, [size, size], true);
    return resized.sub(tf.tensor1d([...norm.mean])).div(tf.tensor1d([...norm.std])) as Tensor4D;
  });
}

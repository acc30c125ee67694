/**
 * The projector's distance, injected: a feature function whose taps' squared differences, summed,
 * are the distance between two images (the reference: LPIPS-VGG16 taps, unit-normalised and
 * weighted so that Σ(f_a − f_b)² is the LPIPS distance). It must be differentiable: the projector
 * takes its gradient with respect to the synthesised image.
 */
import type { Tensor, Tensor1D, Tensor4D } from '@tensorflow/tfjs-core';
import type { Tf } from '@dermagan/tf';

export interface PerceptualFeatures {
  /** Names the space the distances live in, e.g. `lpips-vgg16` (recorded in every result). */
  readonly id: string;
  /** sha256 (hex) of whatever fixes the output (the weights). */
  readonly hash: string;
  /** Feature taps of images NHWC float32 in [0, 255]: each [N, …]. */
  taps(images: Tensor4D): Tensor[];
  dispose?(): void;
}

/** Per image Σ_taps Σ (a − b)² over each tap's non-batch elements: [N]. */
export function tapDistance(tf: Tf, a: readonly Tensor[], b: readonly Tensor[]): Tensor1D {
  if (a.length !== b.length || a.length === 0) throw new Error(`Error in tapDistance: ${a.length} taps against ${b.length}`);
  return tf.tidy(() =>
    tf.addN(
      a.map((ta, i) => {
        const tb = b[i]!;
        const axes = ta.shape.slice(1).map((_, k) => k + 1);
        return tf.sum(tf.squaredDifference(ta, tb), axes) as Tensor1D;
      }),
    ),
  );
}

/** Area-downsample [N, r, r, C] to `max` when r > max (an integer factor; the reference's F.interpolate 'area'). */
export function limitSize(tf: Tf, images: Tensor4D, max: number): Tensor4D {
  const r = images.shape[1];
  if (r <= max) return images;
  const factor = r / max;
  if (!Number.isInteger(factor)) throw new Error(`Error in limitSize: ${r}² does not shrink to ${max}² by an integer factor`);
  return tf.avgPool(images, factor, factor, 'valid');
}

/**
 * A stand-in distance with no weights: the mean squared difference of pixels in [0, 1]
 * (one tap, x / 255 / √(r²·C)). Cheap and differentiable; its numbers are pixel MSE, not LPIPS,
 * and every result names it (`pixels-mse`).
 */
export function pixelFeatures(tf: Tf): PerceptualFeatures {
  return {
    id: 'pixels-mse',
    hash: '0'.repeat(64),
    taps(images) {
      const [, h, w, c] = images.shape;
      return [tf.mul(images, 1 / (255 * Math.sqrt(h * w * c)))];
    },
  };
}

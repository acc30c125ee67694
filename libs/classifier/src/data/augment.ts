/**
 * Train-time augmentation as in the study (torchvision RandomRotation(30), RandomHorizontalFlip,
 * RandomVerticalFlip): a rotation by an angle uniform in ±`maxDegrees` about the image centre,
 * nearest-neighbour (torchvision's default), pixels from outside filled with 0 (black, before
 * normalisation), then a horizontal and a vertical flip, each with probability 1/2.
 *
 * Done as one gather per batch: each image's transform is an index map from output pixel to
 * source pixel (or to a zero row), so all randomness is drawn in JS from the seeded RNG.
 */
import type { Tf } from '@dermagan/tf';
import type { Rng } from '../rng.ts';

type Tensor4D = import('@tensorflow/tfjs').Tensor4D;

export interface AugmentOptions {
  /** Maximum absolute rotation in degrees (the study: 30); 0 = no rotation. */
  maxDegrees: number;
  /** Flip left–right with probability 1/2. */
  horizontalFlip: boolean;
  /** Flip top–bottom with probability 1/2. */
  verticalFlip: boolean;
}

export const STUDY_AUGMENTATION: AugmentOptions = { maxDegrees: 30, horizontalFlip: true, verticalFlip: true };

/** One image's transform. */
export interface ImageTransform {
  /** Counter-clockwise rotation in degrees. */
  degrees: number;
  flipH: boolean;
  flipV: boolean;
}

/**
 * Source pixel (row·size + col) of each output pixel, or -1 where the rotated image has no
 * source (filled with 0). The output is flip(rotate(input)): rotate first, then flip.
 */
export function transformIndexMap(size: number, t: ImageTransform): Int32Array {
  const map = new Int32Array(size * size);
  const c = (size - 1) / 2;
  const a = (t.degrees * Math.PI) / 180;
  const cos = Math.cos(a);
  const sin = Math.sin(a);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      // Undo the flips: output (y, x) shows the rotated image at (ry, rx).
      const ry = t.flipV ? size - 1 - y : y;
      const rx = t.flipH ? size - 1 - x : x;
      // Inverse rotation (the image turns counter-clockwise on screen, y pointing down).
      const dx = rx - c;
      const dy = ry - c;
      const sx = Math.round(c + cos * dx - sin * dy);
      const sy = Math.round(c + sin * dx + cos * dy);
      map[y * size + x] = sx >= 0 && sx < size && sy >= 0 && sy < size ? sy * size + sx : -1;
    }
  }
  return map;
}

/** Draw one transform per image from the RNG (angle first, then the two flips). */
export function drawTransforms(rng: Rng, count: number, options: AugmentOptions): ImageTransform[] {
  return Array.from({ length: count }, () => ({
    degrees: options.maxDegrees === 0 ? 0 : (rng.next() * 2 - 1) * options.maxDegrees,
    flipH: options.horizontalFlip && rng.next() < 0.5,
    flipV: options.verticalFlip && rng.next() < 0.5,
  }));
}

/** Apply per-image transforms to [n, size, size, c] images (any value range; the fill is 0). */
export function applyTransforms(tf: Tf, images: Tensor4D, transforms: readonly ImageTransform[]): Tensor4D {
  const [n, h, w, ch] = images.shape;
  if (h !== w) throw new RangeError(`applyTransforms: images must be square, got ${h}x${w}`);
  if (transforms.length !== n) throw new RangeError(`applyTransforms: ${transforms.length} transforms for ${n} images`);
  const plane = h * w;
  const zeroRow = n * plane;
  const indices = new Int32Array(n * plane);
  transforms.forEach((t, i) => {
    const map = transformIndexMap(h, t);
    for (let p = 0; p < plane; p++) indices[i * plane + p] = map[p]! < 0 ? zeroRow : i * plane + map[p]!;
  });
  return tf.tidy(() => {
    const rows = tf.concat([images.reshape([n * plane, ch]), tf.zeros([1, ch])], 0);
    return tf.gather(rows, tf.tensor1d(indices, 'int32')).reshape([n, h, w, ch]) as Tensor4D;
  });
}

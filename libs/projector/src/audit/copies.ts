/**
 * Likely copies: for each generated image, its nearest training image in a feature space, beside the
 * training images' distances to their own nearest other training image (real-to-real). The rule: a
 * generated image is a likely copy when its distance to the nearest training image is below the 1st
 * percentile of the real-to-real distances — closer to a patient's image than 99% of patients'
 * images are to any other training image.
 */
import { percentile } from '@dermagan/classifier';
import { crossNeighbours, kthNeighbourRadii, type FeatureMatrix } from '@dermagan/metrics';
import { ProjectorError } from '../errors.ts';

export const COPY_PERCENTILE = 1;
export const COPY_RULE =
  'a generated image is a likely copy when its distance to the nearest training image is below the 1st percentile of the training images’ distances to their nearest other training image';

export interface SpaceCopies {
  /** The feature space (extractor id). */
  space: string;
  /** What the distances are: the perceptual distance itself, or the Euclidean distance between features. */
  metric: 'perceptual' | 'euclidean';
  /** Per generated image: distance to its nearest training image, and that image's row. */
  nearest: { distance: Float64Array; index: Int32Array };
  /** Per training image: distance to its nearest other training image. */
  realToReal: Float64Array;
  /** The 1st percentile of realToReal. */
  threshold: number;
  /** Generated rows flagged as likely copies, closest first. */
  flagged: number[];
}

/**
 * `perceptual`: the features are flat perceptual taps, whose squared Euclidean distance is the
 * perceptual distance (LPIPS); otherwise distances are Euclidean.
 */
export function likelyCopies(space: string, generated: FeatureMatrix, training: FeatureMatrix, perceptual: boolean): SpaceCopies {
  if (training.rows < 2) throw new ProjectorError(`likely copies in ${space}: need at least 2 training images, got ${training.rows}`);
  if (generated.cols !== training.cols) throw new ProjectorError(`likely copies in ${space}: features of width ${generated.cols} and ${training.cols}`);
  const fromSquared = (d2: Float64Array) => (perceptual ? d2 : d2.map(Math.sqrt));
  const cross = crossNeighbours(generated, training, [], []);
  const nearest = fromSquared(cross.aNearest.d2);
  const realToReal = fromSquared(kthNeighbourRadii(training, 1));
  const threshold = percentile(realToReal, COPY_PERCENTILE);
  const flagged = Array.from(nearest.keys()).filter((i) => nearest[i]! < threshold).sort((a, b) => nearest[a]! - nearest[b]!);
  return { space, metric: perceptual ? 'perceptual' : 'euclidean', nearest: { distance: nearest, index: cross.aNearest.index }, realToReal, threshold, flagged };
}

/** The `count` closest (generated, training) pairs, closest first. */
export function closestPairs(copies: SpaceCopies, count: number): Array<{ generated: number; training: number; distance: number }> {
  const order = Array.from(copies.nearest.distance.keys()).sort((a, b) => copies.nearest.distance[a]! - copies.nearest.distance[b]!);
  return order.slice(0, count).map((g) => ({ generated: g, training: copies.nearest.index[g]!, distance: copies.nearest.distance[g]! }));
}

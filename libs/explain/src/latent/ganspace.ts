/**
 * GANSpace (Härkönen et al. 2020): the principal components of many W samples are editing
 * directions; the paper's "PCA of many latents". Each direction is a unit vector in W with the
 * standard deviation of W along it (edits step in units of that σ).
 */
import { pca } from '../embedding/pca.ts';
import type { Rows } from '../embedding/matrix.ts';

export interface GanspaceResult {
  /** Unit directions [k, wDim], by explained variance descending. */
  directions: Float64Array;
  /** Standard deviation of W along each direction. */
  sigma: Float64Array;
  /** Share of W's variance each explains. */
  explained: Float64Array;
  k: number;
  wDim: number;
}

export function ganspace(w: Rows, k: number): GanspaceResult {
  const model = pca(w, k);
  return { directions: model.components, sigma: Float64Array.from(model.variance, Math.sqrt), explained: model.explainedRatio, k, wDim: w.cols };
}

/**
 * Improved precision and recall (Kynkäänniemi et al., "Improved precision and recall metric for
 * assessing generative models", NeurIPS 2019, arXiv:1904.06991), as NVlabs' `precision_recall.py`
 * computes them:
 * - each point's radius is the distance to its k-th nearest other point of its own set (the
 *   (k+1)-th smallest with itself included), k = 3;
 * - precision = share of *fake* samples inside at least one *real* ball (d ≤ r, ties count in);
 * - recall = share of *real* samples inside at least one *fake* ball.
 * (NVlabs keeps radii in fp16 for memory; here they are float64 or, in tf mode, float32.)
 */
import { DEFAULTS } from './defaults.ts';
import type { FeatureMatrix } from './features-matrix.ts';
import type { Compute } from './compute.ts';
import { gatherNeighbourhoods, type NeighbourhoodRequest, type Neighbourhoods } from './neighbourhoods.ts';

/** Options for {@link precisionRecall}. */
export interface PrecisionRecallOptions {
  /** Neighbourhood size (default 3). */
  k?: number;
  /** Where the distances run (default float64). */
  compute?: Compute;
}

export interface PrecisionRecallResult {
  precision: number;
  recall: number;
  k: number;
}

/** What {@link precisionRecallFromNeighbourhoods} needs gathered. */
export function precisionRecallRequest(k: number): Pick<NeighbourhoodRequest, 'ks' | 'balls'> {
  return {
    ks: [k],
    balls: [
      { centres: 'real', k, inclusive: true },
      { centres: 'fake', k, inclusive: true },
    ],
  };
}

function share(counts: Int32Array): number {
  let inside = 0;
  for (const c of counts) if (c > 0) inside++;
  return inside / counts.length;
}

/** The step over gathered neighbourhoods (`balls` must include precisionRecallRequest(k)'s). */
export function precisionRecallFromNeighbourhoods(nb: Neighbourhoods, request: NeighbourhoodRequest, k: number): PrecisionRecallResult {
  const find = (centres: 'real' | 'fake') =>
    nb.ballCounts[request.balls.findIndex((b) => b.centres === centres && b.k === k && b.inclusive)]!;
  return { precision: share(find('real')), recall: share(find('fake')), k };
}

/** Precision (fake in real manifold) and recall (real in fake manifold). */
export function precisionRecall(real: FeatureMatrix, fake: FeatureMatrix, options: PrecisionRecallOptions = {}): PrecisionRecallResult {
  const k = options.k ?? DEFAULTS.prK;
  const request: NeighbourhoodRequest = { ...precisionRecallRequest(k), compute: options.compute };
  return precisionRecallFromNeighbourhoods(gatherNeighbourhoods(real, fake, request), request, k);
}

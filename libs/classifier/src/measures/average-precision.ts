import { binaryCurve } from './curve.ts';

/**
 * PR-AUC as average precision, scikit-learn's `average_precision_score`:
 * AP = Σ_k (R_k − R_{k−1}) · P_k over the distinct thresholds from the highest score down,
 * R_0 = 0, with P_k = TP_k / (TP_k + FP_k) and R_k = TP_k / P (a step function, no interpolation).
 * NaN when there are no positives (undefined). With no negatives it is 1.
 */
export function averagePrecision(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const { tps, fps, positives } = binaryCurve(labels, scores);
  if (positives === 0) return NaN;
  let ap = 0;
  let previousRecall = 0;
  for (let k = 0; k < tps.length; k++) {
    const recall = tps[k]! / positives;
    const precision = tps[k]! / (tps[k]! + fps[k]!);
    ap += (recall - previousRecall) * precision;
    previousRecall = recall;
  }
  return ap;
}

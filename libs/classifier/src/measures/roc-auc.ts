import { binaryCurve, type BinaryCurve } from './curve.ts';

/** ROC points from (0, 0): false-positive rate, true-positive rate, and the threshold reaching each (+Infinity first). */
export interface RocCurve {
  fpr: Float64Array;
  tpr: Float64Array;
  thresholds: Float64Array;
}

/** The ROC curve; undefined (null) when either class is absent. */
export function rocCurve(labels: ArrayLike<number>, scores: ArrayLike<number>, curve: BinaryCurve = binaryCurve(labels, scores)): RocCurve | null {
  const { tps, fps, positives, negatives, thresholds } = curve;
  if (positives === 0 || negatives === 0) return null;
  const m = thresholds.length + 1;
  const fpr = new Float64Array(m);
  const tpr = new Float64Array(m);
  const th = new Float64Array(m);
  th[0] = Infinity;
  for (let k = 0; k < thresholds.length; k++) {
    fpr[k + 1] = fps[k]! / negatives;
    tpr[k + 1] = tps[k]! / positives;
    th[k + 1] = thresholds[k]!;
  }
  return { fpr, tpr, thresholds: th };
}

/**
 * Area under the ROC curve by the trapezoid rule over the points at distinct scores, as
 * scikit-learn's `roc_auc_score` (ties count one half, the Mann–Whitney U / (P·N)).
 * NaN when only one class is present (the AUC is undefined).
 */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const roc = rocCurve(labels, scores);
  if (roc === null) return NaN;
  let area = 0;
  for (let k = 1; k < roc.fpr.length; k++) {
    area += (roc.fpr[k]! - roc.fpr[k - 1]!) * (roc.tpr[k]! + roc.tpr[k - 1]!) / 2;
  }
  return area;
}

import { checkScored } from './check.ts';
import { rocCurve } from './roc-auc.ts';

/** Counts at a threshold: an item is called positive when its score is >= the threshold. */
export interface Confusion {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

/** Measures at one threshold. A rate is NaN (undefined) when its denominator class is absent. */
export interface ThresholdMeasures {
  threshold: number;
  confusion: Confusion;
  accuracy: number;
  /** TP / (TP + FN): recall of the positive class. */
  sensitivity: number;
  /** TN / (TN + FP). */
  specificity: number;
  /** (sensitivity + specificity) / 2, scikit-learn's `balanced_accuracy_score` for two classes. */
  balancedAccuracy: number;
}

export function confusionAt(labels: ArrayLike<number>, scores: ArrayLike<number>, threshold: number): Confusion {
  checkScored('confusionAt', labels, scores);
  const c: Confusion = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (let i = 0; i < labels.length; i++) {
    const called = scores[i]! >= threshold;
    if (labels[i] === 1) called ? c.tp++ : c.fn++;
    else called ? c.fp++ : c.tn++;
  }
  return c;
}

export function measuresFromConfusion(c: Confusion, threshold: number): ThresholdMeasures {
  const n = c.tp + c.fp + c.tn + c.fn;
  const sensitivity = c.tp + c.fn === 0 ? NaN : c.tp / (c.tp + c.fn);
  const specificity = c.tn + c.fp === 0 ? NaN : c.tn / (c.tn + c.fp);
  return {
    threshold,
    confusion: c,
    accuracy: n === 0 ? NaN : (c.tp + c.tn) / n,
    sensitivity,
    specificity,
    balancedAccuracy: (sensitivity + specificity) / 2,
  };
}

export function measuresAt(labels: ArrayLike<number>, scores: ArrayLike<number>, threshold: number): ThresholdMeasures {
  return measuresFromConfusion(confusionAt(labels, scores, threshold), threshold);
}

/** A decision threshold and how it was chosen. */
export interface ChosenThreshold {
  threshold: number;
  /** `youden`: maximises J = sensitivity + specificity − 1 on the given (validation) scores;
   *  `fallback`: the validation set lacked a class, so 0.5 is used. */
  method: 'youden' | 'fallback';
  /** J at the chosen threshold (NaN for the fallback). */
  j: number;
}

/**
 * Youden's J on validation scores: the ROC threshold maximising TPR − FPR. Candidates are the
 * distinct scores (called positive when score >= threshold); ties in J go to the highest
 * threshold (numpy's argmax over scikit-learn's descending `roc_curve` thresholds). The +Infinity
 * point of the ROC curve (nothing called positive) is not a candidate.
 */
export function youdenThreshold(labels: ArrayLike<number>, scores: ArrayLike<number>): ChosenThreshold {
  const roc = rocCurve(labels, scores);
  if (roc === null) return { threshold: 0.5, method: 'fallback', j: NaN };
  let best = 1;
  for (let k = 2; k < roc.fpr.length; k++) {
    if (roc.tpr[k]! - roc.fpr[k]! > roc.tpr[best]! - roc.fpr[best]!) best = k;
  }
  return { threshold: roc.thresholds[best]!, method: 'youden', j: roc.tpr[best]! - roc.fpr[best]! };
}

import { checkScored } from './check.ts';

/**
 * Cumulative counts at each distinct score, highest score first: at `thresholds[k]`, an item is
 * called positive when its score is >= that threshold, which gives `tps[k]` true and `fps[k]`
 * false positives. This is scikit-learn's `_binary_clf_curve` (no intermediate points dropped);
 * ties share one threshold, so tied items move together (the trapezoid then counts them half).
 */
export interface BinaryCurve {
  thresholds: Float64Array;
  tps: Float64Array;
  fps: Float64Array;
  /** Total positives and negatives. */
  positives: number;
  negatives: number;
}

export function binaryCurve(labels: ArrayLike<number>, scores: ArrayLike<number>): BinaryCurve {
  checkScored('binaryCurve', labels, scores);
  const n = labels.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  const thresholds: number[] = [];
  const tps: number[] = [];
  const fps: number[] = [];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < n; k++) {
    const i = order[k]!;
    if (labels[i] === 1) tp++;
    else fp++;
    const next = order[k + 1];
    if (next === undefined || scores[next] !== scores[i]) {
      thresholds.push(scores[i]!);
      tps.push(tp);
      fps.push(fp);
    }
  }
  return { thresholds: Float64Array.from(thresholds), tps: Float64Array.from(tps), fps: Float64Array.from(fps), positives: tp, negatives: fp };
}

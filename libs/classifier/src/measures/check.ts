import { ClassifierInputError } from '../errors.ts';

/** Binary labels (0 = negative, 1 = positive) and real-valued scores, higher = more positive. */
export interface ScoredLabels {
  labels: ArrayLike<number>;
  scores: ArrayLike<number>;
}

/** Check that labels are 0/1, scores finite, and both the same length (where data enters). */
export function checkScored(fn: string, labels: ArrayLike<number>, scores: ArrayLike<number>): void {
  if (labels.length !== scores.length) {
    throw new ClassifierInputError(`${fn}: labels has ${labels.length} values but scores has ${scores.length}`);
  }
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (y !== 0 && y !== 1) throw new ClassifierInputError(`${fn}: labels must be 0 or 1, got ${y} at index ${i}`);
    if (!Number.isFinite(scores[i])) throw new ClassifierInputError(`${fn}: scores must be finite, got ${scores[i]} at index ${i}`);
  }
}

/** Number of positives (label 1). */
export function countPositives(labels: ArrayLike<number>): number {
  let p = 0;
  for (let i = 0; i < labels.length; i++) p += labels[i] === 1 ? 1 : 0;
  return p;
}

/**
 * Does a change to the training data change the AUC? Two classifiers scored on the same real
 * test images: ΔAUC = AUC(b) − AUC(a) with a paired, patient-level percentile bootstrap (each
 * resample draws patients with replacement and recomputes both AUCs on the same images), so the
 * interval accounts for the two being tested on one set.
 */
import { percentile, Rng, rocAuc } from '@dermagan/classifier';
import { check } from './errors.ts';

export interface AucChange {
  /** AUC of the baseline (a) and of the changed classifier (b). */
  before: number;
  after: number;
  /** after − before. */
  delta: number;
  /** Percentile interval of the difference and the resamples it rests on. */
  ci: [number, number];
  level: number;
  resamples: number;
  /** Share of resamples where the difference is ≤ 0 (a one-sided bootstrap p for an improvement). */
  shareNotBetter: number;
}

export interface AucChangeOptions {
  resamples: number;
  seed: number;
  level: number;
}

export const DEFAULT_AUC_CHANGE: AucChangeOptions = { resamples: 1000, seed: 2022, level: 0.95 };

export function aucChange(labels: ArrayLike<number>, before: ArrayLike<number>, after: ArrayLike<number>, patients: readonly string[], options: Partial<AucChangeOptions> = {}): AucChange {
  const o = { ...DEFAULT_AUC_CHANGE, ...options };
  const n = labels.length;
  check(before.length === n && after.length === n && patients.length === n, 'aucChange', () => `labels (${n}), both score vectors (${before.length}, ${after.length}) and patients (${patients.length}) must be the same length`);
  check(Number.isInteger(o.resamples) && o.resamples >= 1, 'aucChange', () => `resamples must be a positive integer, got ${o.resamples}`);
  const groups = new Map<string, number[]>();
  patients.forEach((p, i) => groups.set(p, [...(groups.get(p) ?? []), i]));
  const members = [...groups.values()];
  const rng = new Rng(o.seed);
  const deltas: number[] = [];
  for (let r = 0; r < o.resamples; r++) {
    const y: number[] = [];
    const a: number[] = [];
    const b: number[] = [];
    for (let k = 0; k < members.length; k++) {
      for (const i of members[rng.int(members.length)]!) {
        y.push(labels[i]!);
        a.push(before[i]!);
        b.push(after[i]!);
      }
    }
    const d = rocAuc(y, b) - rocAuc(y, a);
    if (Number.isFinite(d)) deltas.push(d);
  }
  const tail = ((1 - o.level) / 2) * 100;
  const aucBefore = rocAuc(labels, before);
  const aucAfter = rocAuc(labels, after);
  return {
    before: aucBefore,
    after: aucAfter,
    delta: aucAfter - aucBefore,
    ci: [percentile(deltas, tail), percentile(deltas, 100 - tail)],
    level: o.level,
    resamples: deltas.length,
    shareNotBetter: deltas.length ? deltas.filter((d) => d <= 0).length / deltas.length : Number.NaN,
  };
}

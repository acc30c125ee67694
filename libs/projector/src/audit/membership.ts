/**
 * Membership inference from projection distances (the attack of Webster et al., "This Person
 * (Probably) Exists", CVPR-W 2021, on StyleGAN projections): a training image (member) tends to be
 * reproduced more closely by its generator than an image of the same distribution it never saw
 * (non-member), so −distance is the attacker's score.
 * - ROC-AUC of that score (0.5: the generator tells nothing about who was in its training set);
 * - its 95% percentile CI from a patient-level bootstrap (patients resampled with all their images:
 *   a patient's images are not independent evidence);
 * - TPR at FPR 1% and 0.1% (the low-FPR regime is what matters for a few exposed patients; Carlini
 *   et al., "Membership Inference Attacks From First Principles", S&P 2022). With n non-members an
 *   FPR below 1/n cannot be resolved: then only thresholds with no false positive count, and the
 *   result says so.
 */
import { patientBootstrap, rocAuc, rocCurve } from '@dermagan/classifier';
import { ProjectorError } from '../errors.ts';

export interface MembershipRow {
  id: string;
  patient: string;
  /** Whether the image was in the generator's training set. */
  member: boolean;
  /** Its projection distance (smaller = reproduced more closely). */
  distance: number;
}

export interface TprAtFpr {
  /** The false-positive-rate budget. */
  fpr: number;
  /** The best true-positive rate at a threshold whose FPR is within the budget. */
  tpr: number;
  /** Whether the non-members are enough to resolve this FPR (n ≥ 1/fpr). */
  resolved: boolean;
}

export interface MembershipAttack {
  auc: number;
  ci: { low: number; high: number; level: number; resamples: number; used: number };
  tprAtFpr: TprAtFpr[];
  members: number;
  nonMembers: number;
  patients: number;
}

export interface MembershipOptions {
  /** Bootstrap resamples (default 1000). */
  resamples?: number;
  /** Bootstrap seed (default 0). */
  seed?: number;
  /** CI level (default 0.95). */
  level?: number;
  /** FPR budgets (default 1% and 0.1%). */
  fprs?: number[];
}

/** The best TPR among ROC points with FPR ≤ budget. */
export function tprAtFpr(labels: ArrayLike<number>, scores: ArrayLike<number>, budget: number): number {
  const roc = rocCurve(labels, scores);
  if (!roc) return NaN;
  let best = 0;
  for (let k = 0; k < roc.fpr.length; k++) if (roc.fpr[k]! <= budget + 1e-12) best = Math.max(best, roc.tpr[k]!);
  return best;
}

export function membershipAttack(rows: readonly MembershipRow[], options: MembershipOptions = {}): MembershipAttack {
  const members = rows.filter((r) => r.member).length;
  const nonMembers = rows.length - members;
  if (members === 0 || nonMembers === 0) throw new ProjectorError(`membership inference needs members and non-members; got ${members} and ${nonMembers}`);
  const bad = rows.find((r) => !Number.isFinite(r.distance));
  if (bad) throw new ProjectorError(`image ${bad.id} has no finite projection distance`);
  const labels = Float64Array.from(rows, (r) => (r.member ? 1 : 0));
  const scores = Float64Array.from(rows, (r) => -r.distance);
  const level = options.level ?? 0.95;
  const resamples = options.resamples ?? 1000;
  const ci = patientBootstrap(labels, scores, rows.map((r) => r.patient), { auc: rocAuc }, { resamples, seed: options.seed ?? 0, level }).auc!;
  return {
    auc: rocAuc(labels, scores),
    ci: { low: ci.low, high: ci.high, level, resamples, used: ci.used },
    tprAtFpr: (options.fprs ?? [0.01, 0.001]).map((fpr) => ({ fpr, tpr: tprAtFpr(labels, scores, fpr), resolved: nonMembers * fpr >= 1 })),
    members,
    nonMembers,
    patients: new Set(rows.map((r) => r.patient)).size,
  };
}

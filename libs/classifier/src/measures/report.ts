import { averagePrecision } from './average-precision.ts';
import { patientBootstrap, type BootstrapInterval, type Statistic } from './bootstrap.ts';
import { checkScored, countPositives } from './check.ts';
import { rocAuc } from './roc-auc.ts';
import { measuresAt, type ThresholdMeasures } from './threshold.ts';

export interface ReportOptions {
  /** Decision threshold chosen on validation (e.g. Youden's J); the 0.5 measures are reported too. */
  threshold: number;
  /** Bootstrap resamples; 0 skips the intervals. */
  resamples: number;
  /** Bootstrap seed. */
  seed: number;
  /** Confidence level of the intervals. */
  level: number;
}

export const DEFAULT_REPORT_OPTIONS: Omit<ReportOptions, 'threshold'> = { resamples: 1000, seed: 2022, level: 0.95 };

/** Keys of the measures that get an interval (snake_case: they are the JSON keys). */
export const INTERVAL_KEYS = ['auc', 'pr_auc', 'accuracy', 'balanced_accuracy', 'sensitivity', 'specificity', 'prevalence'] as const;
export type IntervalKey = (typeof INTERVAL_KEYS)[number];

/**
 * Everything a classifier evaluation reports, with the prevalence beside it (accuracy alone
 * misleads at 2–10 % prevalence). Undefined values are NaN here and null in JSON.
 */
export interface ClassificationReport {
  n: number;
  positives: number;
  /** positives / n. */
  prevalence: number;
  auc: number;
  /** Average precision; compare it with the prevalence (a random scorer's expected AP). */
  pr_auc: number;
  /** Measures at the validation-chosen threshold. */
  at_threshold: ThresholdMeasures;
  /** Measures at 0.5 (the study's threshold). */
  at_half: ThresholdMeasures;
  /** 95 % (by default) patient-level percentile bootstrap intervals; measures at the chosen threshold. */
  ci: Record<IntervalKey, BootstrapInterval> | null;
  bootstrap: { resamples: number; seed: number; level: number; unit: 'patient'; method: 'percentile'; patients: number };
}

/** The measures the bootstrap recomputes per resample, at a fixed threshold. */
export function intervalStatistics(threshold: number): Record<IntervalKey, Statistic> {
  return {
    auc: rocAuc,
    pr_auc: averagePrecision,
    accuracy: (y, s) => measuresAt(y, s, threshold).accuracy,
    balanced_accuracy: (y, s) => measuresAt(y, s, threshold).balancedAccuracy,
    sensitivity: (y, s) => measuresAt(y, s, threshold).sensitivity,
    specificity: (y, s) => measuresAt(y, s, threshold).specificity,
    prevalence: (y) => countPositives(y) / y.length,
  };
}

export function classificationReport(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  patients: readonly string[],
  options: ReportOptions,
): ClassificationReport {
  checkScored('classificationReport', labels, scores);
  const n = labels.length;
  const positives = countPositives(labels);
  const ci =
    options.resamples > 0
      ? patientBootstrap(labels, scores, patients, intervalStatistics(options.threshold), {
          resamples: options.resamples,
          seed: options.seed,
          level: options.level,
        })
      : null;
  return {
    n,
    positives,
    prevalence: n === 0 ? NaN : positives / n,
    auc: rocAuc(labels, scores),
    pr_auc: averagePrecision(labels, scores),
    at_threshold: measuresAt(labels, scores, options.threshold),
    at_half: measuresAt(labels, scores, 0.5),
    ci: ci as Record<IntervalKey, BootstrapInterval> | null,
    bootstrap: {
      resamples: options.resamples,
      seed: options.seed,
      level: options.level,
      unit: 'patient',
      method: 'percentile',
      patients: new Set(patients).size,
    },
  };
}

import { ClassifierInputError } from '../errors.ts';
import { Rng } from '../rng.ts';
import { checkScored } from './check.ts';
import { percentile } from './percentile.ts';

/** A statistic over a resample; NaN means undefined for that resample (e.g. AUC with one class). */
export type Statistic = (labels: Float64Array, scores: Float64Array) => number;

export interface BootstrapOptions {
  /** Number of resamples (the study-grade default is 1,000). */
  resamples: number;
  /** Seed of the resampling stream (mulberry32, see rng.ts). */
  seed: number;
  /** Confidence level in (0, 1); 0.95 gives the 2.5th and 97.5th percentiles. */
  level: number;
}

/** A percentile interval and how many resamples it rests on. */
export interface BootstrapInterval {
  low: number;
  high: number;
  /** Resamples where the statistic was defined (the interval is over these only). */
  used: number;
  /** Resamples skipped because the statistic was undefined there (NaN: one class present). */
  skipped: number;
}

/**
 * Patient-level percentile bootstrap. Each resample draws as many patients as there are, with
 * replacement (`rng.int(P)` over the patients in order of first appearance), and takes all
 * images of each drawn patient; every statistic is computed on that resample. A resample on
 * which a statistic is undefined (NaN — e.g. one class only, so no AUC) is skipped for that
 * statistic and counted; the interval is the percentiles of the defined values (NaN if none).
 */
export function patientBootstrap(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  patients: readonly string[],
  statistics: Record<string, Statistic>,
  options: BootstrapOptions,
): Record<string, BootstrapInterval> {
  checkScored('patientBootstrap', labels, scores);
  if (patients.length !== labels.length) {
    throw new ClassifierInputError(`patientBootstrap: ${patients.length} patient ids for ${labels.length} labels`);
  }
  if (!Number.isInteger(options.resamples) || options.resamples < 1) {
    throw new ClassifierInputError(`patientBootstrap: resamples must be a positive integer, got ${options.resamples}`);
  }
  if (!(options.level > 0 && options.level < 1)) throw new ClassifierInputError(`patientBootstrap: level must be in (0, 1), got ${options.level}`);
  const groups = new Map<string, number[]>();
  patients.forEach((p, i) => {
    const g = groups.get(p);
    if (g) g.push(i);
    else groups.set(p, [i]);
  });
  const members = [...groups.values()];
  const names = Object.keys(statistics);
  const values: Record<string, number[]> = Object.fromEntries(names.map((k) => [k, []]));
  const skipped: Record<string, number> = Object.fromEntries(names.map((k) => [k, 0]));
  const rng = new Rng(options.seed);
  const y: number[] = [];
  const s: number[] = [];
  for (let r = 0; r < options.resamples; r++) {
    y.length = 0;
    s.length = 0;
    for (let k = 0; k < members.length; k++) {
      for (const i of members[rng.int(members.length)]!) {
        y.push(labels[i]!);
        s.push(scores[i]!);
      }
    }
    const ly = Float64Array.from(y);
    const ls = Float64Array.from(s);
    for (const name of names) {
      const v = statistics[name]!(ly, ls);
      if (Number.isNaN(v)) skipped[name]!++;
      else values[name]!.push(v);
    }
  }
  const tail = ((1 - options.level) / 2) * 100;
  return Object.fromEntries(
    names.map((k) => [
      k,
      { low: percentile(values[k]!, tail), high: percentile(values[k]!, 100 - tail), used: values[k]!.length, skipped: skipped[k]! },
    ]),
  );
}

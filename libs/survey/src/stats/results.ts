/**
 * A survey's results from its answers and the truth (pure): per expert, accuracy with its Wilson
 * interval and the binomial test against guessing, sensitivity to synthetic images (synthetic
 * judged synthetic), specificity (real judged real), class answers, confidence and time per image;
 * agreement between experts (Cohen's κ per pair, Fleiss' κ for more than two, over the images
 * every one of them answered); and the confusion of truth × judgement by class.
 */
import { cohenKappa, fleissKappa, ratingCounts } from './agreement.ts';
import { binomialTestTwoSided, wilsonInterval } from './proportion.ts';

export type Source = 'real' | 'synthetic';
export const SOURCES: readonly Source[] = ['real', 'synthetic'];

/** One stored answer joined with its image's truth. */
export interface Judgement {
  expert: string;
  item: string;
  truth: Source;
  /** The image's class (index into the survey's labels). */
  label: number;
  judged: Source;
  /** 1 (guessing) … 5 (certain). */
  confidence: number;
  /** The expert's class answer, when the survey asked for it. */
  classAnswer: number | null;
  /** Time the image was shown until answered. */
  elapsedMs: number;
}

export interface ExpertResult {
  expert: string;
  answered: number;
  correct: number;
  accuracy: number | null;
  /** 95 % Wilson interval of the accuracy. */
  accuracyCi: [number, number] | null;
  /** Exact two-sided binomial p-value against 0.5 (guessing). */
  pVsChance: number | null;
  /** Synthetic images judged synthetic / synthetic images answered. */
  sensitivity: number | null;
  /** Real images judged real / real images answered. */
  specificity: number | null;
  /** Class answers matching the image's class / class answers given (null when none were given). */
  classAccuracy: number | null;
  meanConfidence: number | null;
  /** Accuracy of the answers given with confidence ≥ 4. */
  confidentAccuracy: number | null;
  medianSeconds: number | null;
  meanSeconds: number | null;
}

export interface PairKappa {
  a: string;
  b: string;
  /** Images both answered. */
  items: number;
  kappa: number | null;
}

export interface ClassConfusion {
  label: number;
  /** counts[truth][judged]. */
  counts: Record<Source, Record<Source, number>>;
  accuracy: number | null;
}

export interface SurveyResults {
  experts: ExpertResult[];
  /** Mean of the experts' accuracies (the study's "mean accuracy 54 %"). */
  meanAccuracy: number | null;
  /** All answers pooled. */
  pooledAccuracy: number | null;
  answers: number;
  cohen: PairKappa[];
  /** Fleiss' κ over the images every expert answered (more than two experts), else null. */
  fleiss: { kappa: number | null; items: number; raters: number } | null;
  confusionByClass: ClassConfusion[];
}

export function surveyResults(judgements: readonly Judgement[]): SurveyResults {
  const byExpert = groupBy(judgements, (j) => j.expert);
  const experts = [...byExpert.keys()].sort();
  const perExpert = experts.map((e) => expertResult(e, byExpert.get(e)!));
  const accuracies = perExpert.map((r) => r.accuracy).filter((a): a is number => a !== null);
  const correct = judgements.filter((j) => j.judged === j.truth).length;

  // Agreement over the images each pair (or everyone) answered.
  const judgedBy = new Map(experts.map((e) => [e, new Map(byExpert.get(e)!.map((j) => [j.item, j.judged]))]));
  const cohen: PairKappa[] = [];
  for (let x = 0; x < experts.length; x++) {
    for (let y = x + 1; y < experts.length; y++) {
      const A = judgedBy.get(experts[x]!)!;
      const B = judgedBy.get(experts[y]!)!;
      const shared = [...A.keys()].filter((i) => B.has(i)).sort();
      cohen.push({ a: experts[x]!, b: experts[y]!, items: shared.length, kappa: cohenKappa(shared.map((i) => A.get(i)!), shared.map((i) => B.get(i)!)) });
    }
  }
  let fleiss: SurveyResults['fleiss'] = null;
  if (experts.length > 2) {
    const maps = experts.map((e) => judgedBy.get(e)!);
    const common = [...maps[0]!.keys()].filter((i) => maps.every((m) => m.has(i))).sort();
    const counts = ratingCounts(maps.map((m) => common.map((i) => m.get(i)!)), SOURCES);
    fleiss = { kappa: fleissKappa(counts), items: common.length, raters: experts.length };
  }

  const labels = [...new Set(judgements.map((j) => j.label))].sort((a, b) => a - b);
  const confusionByClass = labels.map((label) => {
    const rows = judgements.filter((j) => j.label === label);
    const counts = { real: { real: 0, synthetic: 0 }, synthetic: { real: 0, synthetic: 0 } };
    for (const j of rows) counts[j.truth][j.judged]++;
    return { label, counts, accuracy: ratio(counts.real.real + counts.synthetic.synthetic, rows.length) };
  });

  return {
    experts: perExpert,
    meanAccuracy: accuracies.length ? accuracies.reduce((a, b) => a + b, 0) / accuracies.length : null,
    pooledAccuracy: ratio(correct, judgements.length),
    answers: judgements.length,
    cohen,
    fleiss,
    confusionByClass,
  };
}

function expertResult(expert: string, js: readonly Judgement[]): ExpertResult {
  const correct = js.filter((j) => j.judged === j.truth).length;
  const synthetic = js.filter((j) => j.truth === 'synthetic');
  const real = js.filter((j) => j.truth === 'real');
  const withClass = js.filter((j) => j.classAnswer !== null);
  const confident = js.filter((j) => j.confidence >= 4);
  const seconds = js.map((j) => j.elapsedMs / 1000).sort((a, b) => a - b);
  return {
    expert,
    answered: js.length,
    correct,
    accuracy: ratio(correct, js.length),
    accuracyCi: wilsonInterval(correct, js.length),
    pVsChance: js.length ? binomialTestTwoSided(correct, js.length) : null,
    sensitivity: ratio(synthetic.filter((j) => j.judged === 'synthetic').length, synthetic.length),
    specificity: ratio(real.filter((j) => j.judged === 'real').length, real.length),
    classAccuracy: ratio(withClass.filter((j) => j.classAnswer === j.label).length, withClass.length),
    meanConfidence: js.length ? js.reduce((a, j) => a + j.confidence, 0) / js.length : null,
    confidentAccuracy: ratio(confident.filter((j) => j.judged === j.truth).length, confident.length),
    medianSeconds: median(seconds),
    meanSeconds: seconds.length ? seconds.reduce((a, b) => a + b, 0) / seconds.length : null,
  };
}

function ratio(k: number, n: number): number | null {
  return n === 0 ? null : k / n;
}

function median(sorted: readonly number[]): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  return n % 2 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
}

function groupBy<T, K>(xs: readonly T[], key: (x: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const x of xs) {
    const k = key(x);
    const list = out.get(k);
    if (list) list.push(x);
    else out.set(k, [x]);
  }
  return out;
}

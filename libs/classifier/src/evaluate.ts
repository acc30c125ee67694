/**
 * Evaluate a trained classifier on a real dataset's test split (all of it when ingested without
 * a split), and embed datasets with it. The data must match the model: same class names, same
 * image size.
 */
import { readManifest, type DatasetManifest } from '@dermagan/dataset';
import { toCsv } from '@dermagan/safe-io';
import type { Tf } from '@dermagan/tf';
import type { ClassifierCard } from './card.ts';
import { loadSet, type ImageSet } from './data/images.ts';
import { binaryLabels, requireBothClasses, testEntries } from './data/scenarios.ts';
import { ClassifierInputError } from './errors.ts';
import { classificationReport, DEFAULT_REPORT_OPTIONS, type ClassificationReport } from './measures/report.ts';
import { embed, predictScores } from './predict.ts';

type LayersModel = import('@tensorflow/tfjs').LayersModel;

/** Refuse a dataset the model was not trained for; returns the label map (dataset → model). */
export function checkCompatible(dir: string, m: DatasetManifest, card: ClassifierCard): number[] {
  if (m.size !== card.dataSize) {
    throw new ClassifierInputError(
      `${dir} holds ${m.size}x${m.size} images but the model was trained on ${card.dataSize}x${card.dataSize} images; ` +
        `ingest the data with --size ${card.dataSize} (or train a model at ${m.size})`,
    );
  }
  const map = m.labels.map((name) => card.labels.indexOf(name));
  const unknown = m.labels.filter((_, i) => map[i]! < 0);
  if (unknown.length > 0) throw new ClassifierInputError(`${dir} has label(s) ${unknown.join(', ')} the model does not know (it knows ${card.labels.join(', ')})`);
  return map;
}

export interface EvaluateOptions {
  /** Bootstrap resamples for the intervals (0 = none). */
  resamples?: number;
  /** Bootstrap seed. */
  seed?: number;
  /** Batch size of the inference passes. */
  batchSize?: number;
}

/** One evaluated image. */
export interface Prediction {
  id: string;
  patient: string;
  label: number;
  score: number;
}

/** Score a loaded set and report (threshold from the card). */
export async function evaluateSet(tf: Tf, model: LayersModel, card: ClassifierCard, set: ImageSet, options: EvaluateOptions = {}) {
  const scores = await predictScores(tf, model, set, { size: card.inputSize, normalization: card.normalization }, options.batchSize ?? 64);
  const report = classificationReport(set.labels, scores, set.patients, {
    threshold: card.threshold.threshold,
    resamples: options.resamples ?? DEFAULT_REPORT_OPTIONS.resamples,
    seed: options.seed ?? DEFAULT_REPORT_OPTIONS.seed,
    level: DEFAULT_REPORT_OPTIONS.level,
  });
  const predictions: Prediction[] = set.ids.map((id, i) => ({ id, patient: set.patients[i]!, label: set.labels[i]!, score: scores[i]! }));
  return { report, predictions };
}

export async function evaluateDataset(
  tf: Tf,
  model: LayersModel,
  card: ClassifierCard,
  dir: string,
  options: EvaluateOptions = {},
): Promise<{ report: ClassificationReport; predictions: Prediction[] }> {
  const m = await readManifest(dir);
  binaryLabels(dir, m);
  const map = checkCompatible(dir, m, card);
  const set = await loadSet(dir, m, testEntries(dir, m), 'real', map);
  requireBothClasses(set, `the test images of ${dir}`, card.labels);
  return evaluateSet(tf, model, card, set, options);
}

/** Penultimate-layer embeddings of every image of a dataset (manifest order), float32 [n, d]. */
export async function embedDataset(tf: Tf, model: LayersModel, card: ClassifierCard, dir: string, batchSize = 64) {
  const m = await readManifest(dir);
  if (m.size !== card.dataSize) {
    throw new ClassifierInputError(`${dir} holds ${m.size}x${m.size} images but the model was trained on ${card.dataSize}x${card.dataSize} images; ingest the data with --size ${card.dataSize}`);
  }
  // Embeddings do not use labels; unknown class names map to 0.
  const map = m.labels.map((name) => Math.max(0, card.labels.indexOf(name)));
  const set = await loadSet(dir, m, m.images, m.source.kind === 'generated' ? 'synthetic' : 'real', map);
  const { data, width } = await embed(tf, model, set, { size: card.inputSize, normalization: card.normalization }, batchSize);
  return { data, width, ids: set.ids };
}

/**
 * `id,label,score` lines, one per evaluated image: label is the class index (0 = labels[0],
 * 1 = labels[1], the positive class), score is P(positive). Ids are written through `toCsv`, so
 * one cannot run as a spreadsheet formula.
 */
export function predictionsCsv(predictions: readonly Prediction[]): string {
  return toCsv(['id', 'label', 'score'], predictions.map((p) => [p.id, p.label, p.score]));
}

/** The report as one flat JSON object (NaN → null), the keys the CLI promises first. */
export function reportJson(report: ClassificationReport, card: Pick<ClassifierCard, 'threshold'>) {
  const num = (v: number) => (Number.isFinite(v) ? v : null);
  const t = report.at_threshold;
  const h = report.at_half;
  const ci = report.ci
    ? Object.fromEntries(Object.entries(report.ci).map(([k, v]) => [k, { low: num(v.low), high: num(v.high), used: v.used, skipped: v.skipped }]))
    : null;
  return {
    auc: num(report.auc),
    pr_auc: num(report.pr_auc),
    accuracy: num(t.accuracy),
    balanced_accuracy: num(t.balancedAccuracy),
    sensitivity: num(t.sensitivity),
    specificity: num(t.specificity),
    prevalence: num(report.prevalence),
    n: report.n,
    positives: report.positives,
    threshold: t.threshold,
    threshold_method: card.threshold.method === 'youden' ? "youden's J on validation" : 'fallback 0.5 (validation lacked a class)',
    confusion: t.confusion,
    at_0_5: {
      accuracy: num(h.accuracy),
      balanced_accuracy: num(h.balancedAccuracy),
      sensitivity: num(h.sensitivity),
      specificity: num(h.specificity),
      confusion: h.confusion,
    },
    ci,
    bootstrap: report.bootstrap,
  };
}

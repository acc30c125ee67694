/**
 * Classifier benchmark (one JSON line on stdout; progress on stderr).
 *
 * 1. Small CNN at 64² on a patient-grouped split of the derm-sample (5,141 images, 508 melanoma):
 *    the full training protocol (Adam 5e-4, ≤ 20 epochs, early stopping on validation AUC with
 *    patience 3, rotation ±30° and flips), then the test split: ROC-AUC with its 95 % patient
 *    bootstrap interval (goal ≥ 0.80), PR-AUC beside the prevalence, and seconds per epoch.
 * 2. EfficientNet-B2 at 128²: seconds per training step (batch 32) over a few hundred images,
 *    and the time one epoch over the derm-sample training side would take.
 *
 *   node --import tsx scripts/bench/classifier.ts [--data64 DIR] [--data128 DIR] [--epochs N]
 *     [--balance none|weights|sampling] [--b2-steps N]
 * Missing dataset folders are ingested from ../shared/data/derm-sample first.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { classificationReport, loadScenario, predictScores, subset, trainClassifier, type Balance } from '@dermagan/classifier';
import { ingest } from '@dermagan/ingest';
import { loadTf } from '@dermagan/tf';

const { values: args } = parseArgs({
  options: {
    data64: { type: 'string', default: '/tmp/derm64' },
    data128: { type: 'string', default: '/tmp/derm128' },
    sample: { type: 'string', default: new URL('../../../shared/data/derm-sample/metadata.csv', import.meta.url).pathname },
    epochs: { type: 'string', default: '20' },
    balance: { type: 'string', default: 'none' },
    'b2-steps': { type: 'string', default: '8' },
    seed: { type: 'string', default: '2022' },
  },
});
const seed = Number(args.seed);
const log = (s: string) => process.stderr.write(`${s}\n`);

async function ensureDataset(dir: string, size: number): Promise<void> {
  if (await stat(join(dir, 'manifest.json')).then(() => true, () => false)) return;
  log(`ingesting ${args.sample} at ${size}² into ${dir}`);
  await ingest({ data: args.sample, out: dir, size, split: 0.8, seed: 0, tenants: null });
}

const { tf, info } = await loadTf();
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

// 1. Small CNN at 64², full protocol.
await ensureDataset(args.data64, 64);
const data = await loadScenario({ scenario: 'real', real: args.data64, validationFraction: 0.2, seed });
log(`small CNN 64²: train ${data.train.labels.length}, validation ${data.validation.labels.length}, test ${data.test.labels.length}`);
const small = await trainClassifier(tf, data, { arch: 'small', epochs: Number(args.epochs), balance: args.balance as Balance, seed }, {
  onProgress: (p) => {
    if (p.kind === 'epoch') log(`epoch ${p.record.epoch}: loss ${p.record.loss.toFixed(4)}, validation AUC ${p.record.validationAuc.toFixed(4)}, ${p.record.trainSeconds.toFixed(1)} s`);
  },
});
const scores = await predictScores(tf, small.model, data.test, small.inputSpec, 128);
const report = classificationReport(data.test.labels, scores, data.test.patients, { threshold: small.threshold.threshold, resamples: 1000, seed, level: 0.95 });
small.model.dispose();

// 2. EfficientNet-B2 at 128², timing only (from scratch).
await ensureDataset(args.data128, 128);
const data128 = await loadScenario({ scenario: 'real', real: args.data128, validationFraction: 0.2, seed });
const b2Steps = Number(args['b2-steps']);
const images = b2Steps * 32 + 32; // one more batch: the first step (graph warm-up) is timed apart
const trainRows = Array.from({ length: images }, (_, i) => Math.floor((i * data128.train.labels.length) / images));
const validationRows = Array.from({ length: 64 }, (_, i) => Math.floor((i * data128.validation.labels.length) / 64));
const stepTimes: number[] = [];
let last = performance.now();
const b2 = await trainClassifier(tf, { train: subset(data128.train, trainRows), validation: subset(data128.validation, validationRows) }, { arch: 'efficientnet-b2', epochs: 1, seed, maxStepsPerEpoch: b2Steps + 1 }, {
  onProgress: (p) => {
    if (p.kind !== 'step') return;
    const now = performance.now();
    stepTimes.push((now - last) / 1000);
    last = now;
    log(`B2 step ${p.step}/${p.steps}: ${stepTimes.at(-1)!.toFixed(2)} s`);
  },
});
b2.model.dispose();
const steady = stepTimes.slice(1);
const fullSteps = Math.ceil(data128.train.labels.length / 32);

const round = (v: number, d = 4) => (Number.isFinite(v) ? Number(v.toFixed(d)) : null);
console.log(
  JSON.stringify({
    bench: 'classifier',
    backend: info,
    cpus: (await import('node:os')).cpus().length,
    small_cnn: {
      size: 64,
      train: data.train.labels.length,
      validation: data.validation.labels.length,
      test: report.n,
      test_positives: report.positives,
      prevalence: round(report.prevalence),
      test_auc: round(report.auc),
      test_auc_ci95: [round(report.ci!.auc.low), round(report.ci!.auc.high)],
      test_pr_auc: round(report.pr_auc),
      balanced_accuracy: round(report.at_threshold.balancedAccuracy),
      sensitivity: round(report.at_threshold.sensitivity),
      specificity: round(report.at_threshold.specificity),
      threshold: round(small.threshold.threshold),
      validation_auc: round(small.validationAuc),
      epochs_run: small.history.length,
      best_epoch: small.bestEpoch,
      stopped: small.stopped,
      balance: args.balance,
      seconds_per_epoch_train: round(mean(small.history.map((h) => h.trainSeconds)), 2),
      seconds_per_epoch_validation: round(mean(small.history.map((h) => h.validationSeconds)), 2),
      goal_auc: 0.8,
    },
    efficientnet_b2: {
      size: 128,
      batch: 32,
      initialisation: 'from scratch',
      timed_steps: steady.length,
      first_step_seconds: round(stepTimes[0]!, 2),
      seconds_per_step: round(mean(steady), 2),
      images_per_second: round(32 / mean(steady), 2),
      derm_sample_train_images: data128.train.labels.length,
      seconds_per_epoch_derm_sample: round(mean(steady) * fullSteps, 1),
    },
  }),
);

/**
 * From-scratch EfficientNet-B2 vs ImageNet-pretrained EfficientNet-Lite2 on the derm-sample's
 * patient-grouped split (one JSON line on stdout; progress on stderr). Not a test.
 *
 * 1. Utility at 128² (the sample's own size), the same epoch budget for both: the study's recipe
 *    (Adam 5e-4, balanced sampling, rotation ±30° and flips, early stopping on validation AUC),
 *    Lite2 with its frozen-backbone warm-up counted inside the budget; test ROC-AUC with its 95 %
 *    patient bootstrap interval on the real held-out patients. On a laptop-class CPU the sets are
 *    seeded subsets of each split (all melanoma up to a cap, then other images), named in the
 *    output: a short run, not the study.
 * 2. Seconds per training epoch at 128² and 224²: a few timed steps each (the first, graph
 *    warm-up, apart) at `--timing-batch` (default 8: B2 at 224² with the study's batch of 32 needs
 *    more than 23 GB in tfjs-node and was killed by the OOM killer on a 24 GB machine), extrapolated
 *    to an epoch over the full training split; fine-tuning steps (Lite2's warm-up steps are cheaper:
 *    no backbone gradients).
 *
 *   node --import tsx scripts/bench/classifier-lite2.ts [--data128 DIR] [--epochs 4] [--warmup 1]
 *     [--train 320] [--validation 160] [--test 400] [--positive-share 0.25] [--timing-steps 3] [--timing-batch 8]
 * A missing dataset folder is ingested from ../shared/data/derm-sample first.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { classificationReport, loadScenario, predictScores, subset, trainClassifier, type Architecture, type ImageSet } from '@dermagan/classifier';
import { ingest } from '@dermagan/ingest';
import { loadTf } from '@dermagan/tf';

const { values: args } = parseArgs({
  options: {
    data128: { type: 'string', default: '/tmp/derm128' },
    sample: { type: 'string', default: new URL('../../../shared/data/derm-sample/metadata.csv', import.meta.url).pathname },
    epochs: { type: 'string', default: '4' },
    warmup: { type: 'string', default: '1' },
    train: { type: 'string', default: '320' },
    validation: { type: 'string', default: '160' },
    test: { type: 'string', default: '400' },
    'positive-share': { type: 'string', default: '0.25' },
    'timing-steps': { type: 'string', default: '3' },
    'timing-batch': { type: 'string', default: '8' },
    seed: { type: 'string', default: '2022' },
  },
});
const seed = Number(args.seed);
const log = (s: string) => process.stderr.write(`${s}\n`);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const round = (v: number, d = 4) => (Number.isFinite(v) ? Number(v.toFixed(d)) : null);

if (!(await stat(join(args.data128, 'manifest.json')).then(() => true, () => false))) {
  log(`ingesting ${args.sample} at 128² into ${args.data128}`);
  await ingest({ data: args.sample, out: args.data128, size: 128, split: 0.8, seed: 0, tenants: null });
}
const { tf, info } = await loadTf();
const data = await loadScenario({ scenario: 'real', real: args.data128, validationFraction: 0.2, seed });

/** Up to n rows: every positive up to share·n, the rest negatives, evenly spaced (seed-free, so both networks see the same images). */
function sample(set: ImageSet, n: number, share: number): ImageSet {
  const pos = [...set.labels.keys()].filter((i) => set.labels[i] === 1);
  const neg = [...set.labels.keys()].filter((i) => set.labels[i] !== 1);
  const take = (rows: number[], k: number) => Array.from({ length: Math.min(k, rows.length) }, (_, i) => rows[Math.floor((i * rows.length) / Math.min(k, rows.length))]!);
  const p = take(pos, Math.round(n * share));
  return subset(set, [...p, ...take(neg, n - p.length)].sort((a, b) => a - b));
}
const share = Number(args['positive-share']);
const sets = { train: sample(data.train, Number(args.train), share), validation: sample(data.validation, Number(args.validation), share), test: sample(data.test, Number(args.test), share) };
const describe = (s: ImageSet) => ({ images: s.labels.length, melanoma: s.labels.reduce((a, l) => a + l, 0), patients: new Set(s.patients).size });
log(`train ${JSON.stringify(describe(sets.train))}, validation ${JSON.stringify(describe(sets.validation))}, test ${JSON.stringify(describe(sets.test))}`);

// 1. Utility at 128², same epoch budget.
async function utility(arch: Architecture) {
  const r = await trainClassifier(tf, { train: sets.train, validation: sets.validation }, { arch, size: 128, epochs: Number(args.epochs), warmupEpochs: Number(args.warmup), balance: 'sampling', seed }, {
    onProgress: (p) => {
      if (p.kind === 'epoch') log(`${arch} epoch ${p.record.epoch}${p.record.frozenBackbone ? ' (frozen backbone)' : ''}: loss ${p.record.loss.toFixed(4)}, validation AUC ${p.record.validationAuc.toFixed(4)}, ${p.record.trainSeconds.toFixed(1)} s`);
    },
  });
  const scores = await predictScores(tf, r.model, sets.test, r.inputSpec, 64);
  const report = classificationReport(sets.test.labels, scores, sets.test.patients, { threshold: r.threshold.threshold, resamples: 1000, seed, level: 0.95 });
  r.model.dispose();
  const warm = r.history.filter((h) => h.frozenBackbone);
  const tuned = r.history.filter((h) => !h.frozenBackbone);
  return {
    initialisation: r.pretrained ? `${r.pretrained.source} (${r.pretrained.uri})` : 'from scratch',
    warmup_epochs: r.warmupEpochs,
    epochs_run: r.history.length,
    best_epoch: r.bestEpoch,
    stopped: r.stopped,
    validation_auc: round(r.validationAuc),
    test_auc: round(report.auc),
    test_auc_ci95: [round(report.ci!.auc.low), round(report.ci!.auc.high)],
    test_pr_auc: round(report.pr_auc),
    test_prevalence: round(report.prevalence),
    balanced_accuracy: round(report.at_threshold.balancedAccuracy),
    seconds_per_epoch_128_subset: round(mean(tuned.map((h) => h.trainSeconds)), 1),
    ...(warm.length > 0 ? { seconds_per_warmup_epoch_128_subset: round(mean(warm.map((h) => h.trainSeconds)), 1) } : {}),
  };
}

// 2. Seconds per training step at a size, fine-tuning (no warm-up), extrapolated to an epoch.
async function timing(arch: Architecture, size: number) {
  const steps = Number(args['timing-steps']);
  const batch = Number(args['timing-batch']);
  const rows = Array.from({ length: (steps + 1) * batch }, (_, i) => i % sets.train.labels.length);
  const times: number[] = [];
  let last = performance.now();
  const r = await trainClassifier(tf, { train: subset(sets.train, rows), validation: subset(sets.validation, [...Array(32).keys()]) }, { arch, size, epochs: 1, warmupEpochs: 0, seed, batchSize: batch, maxStepsPerEpoch: steps + 1 }, {
    onProgress: (p) => {
      if (p.kind !== 'step') return;
      const now = performance.now();
      times.push((now - last) / 1000);
      last = now;
      log(`${arch} ${size}² step ${p.step}/${p.steps}: ${times.at(-1)!.toFixed(2)} s`);
    },
  });
  r.model.dispose();
  const perStep = mean(times.slice(1));
  return { batch, seconds_per_step: round(perStep, 2), images_per_second: round(batch / perStep, 1), seconds_per_epoch_derm_sample: round(perStep * Math.ceil(data.train.labels.length / batch), 0) };
}

const result: Record<string, unknown> = {};
for (const arch of ['efficientnet-lite2', 'efficientnet-b2'] as const) {
  result[arch] = { utility_128: await utility(arch), timing_128: await timing(arch, 128), timing_224: await timing(arch, 224) };
}
console.log(
  JSON.stringify({
    bench: 'classifier-lite2',
    backend: info,
    cpus: (await import('node:os')).cpus().length,
    split: { derm_sample_train: data.train.labels.length, train: describe(sets.train), validation: describe(sets.validation), test: describe(sets.test) },
    epochs: Number(args.epochs),
    ...result,
  }),
);

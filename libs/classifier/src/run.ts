/**
 * One utility experiment, start to end: load the scenario's data, train (checkpointing each
 * epoch into OUT/checkpoint, resuming from it when asked), evaluate the best model on the real
 * test images, and write OUT/model, OUT/classifier.json, OUT/test-predictions.csv and
 * OUT/test-report.json. OUT must be new, empty or an earlier experiment's folder (its marker says
 * so); anything else is refused untouched.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DERMAGAN_VERSION } from '@dermagan/contracts';
import { claimOutputFolder, runFolder } from '@dermagan/safe-io';
import type { BackendInfo, Tf } from '@dermagan/tf';
import { CARD_FORMAT, saveClassifier, type ClassifierCard } from './card.ts';
import { classCounts } from './data/images.ts';
import { loadScenario, type ScenarioOptions } from './data/scenarios.ts';
import { DEFAULT_TRAIN_OPTIONS, DEFAULT_VALIDATION_FRACTION, type TrainOptions } from './defaults.ts';
import { evaluateSet, predictionsCsv, reportJson } from './evaluate.ts';
import { describeInitialisation } from './models/architectures.ts';
import { trainClassifier, type TrainProgress } from './train.ts';

export interface ExperimentOptions {
  /** Where the data come from (scenario, real and synthetic folders, synthetic amounts). */
  data: Omit<ScenarioOptions, 'validationFraction' | 'seed'> & { validationFraction?: number };
  /** Training options (defaults: DEFAULT_TRAIN_OPTIONS). */
  train?: Partial<TrainOptions>;
  /** Output folder: new, empty, or an earlier experiment's (CLASSIFIER_RUN_FOLDER). */
  out: string;
  /** Continue from OUT/checkpoint when it exists. */
  resume?: boolean;
  /** Bootstrap resamples of the test report. */
  resamples?: number;
  onProgress?: (p: TrainProgress) => void;
  /** Aborted = stop after the epoch in progress (checkpointed; `resume` continues it) with ClassifierInterruptedError. */
  signal?: AbortSignal;
}

/** What `classifier train --out` holds: model/, checkpoint/, classifier.json, test reports; recognised by its marker. */
export const CLASSIFIER_RUN_FOLDER = runFolder('classifier train', 'dermagan classifier run');

export async function runExperiment(tf: Tf, backend: BackendInfo, options: ExperimentOptions) {
  await claimOutputFolder(options.out, CLASSIFIER_RUN_FOLDER);
  const trainOptions: TrainOptions = { ...DEFAULT_TRAIN_OPTIONS, ...options.train };
  const dataSeed = trainOptions.seed;
  const data = await loadScenario({ ...options.data, validationFraction: options.data.validationFraction ?? DEFAULT_VALIDATION_FRACTION, seed: dataSeed });

  const result = await trainClassifier(tf, { train: data.train, validation: data.validation }, trainOptions, {
    checkpointDir: join(options.out, 'checkpoint'),
    resume: options.resume ?? false,
    key: { scenario: options.data.scenario, datasets: data.datasets, synthRatio: options.data.synthRatio ?? null, synthPerClass: options.data.synthPerClass ?? null },
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });

  const [, trainPos] = classCounts(data.train.labels);
  const [, valPos] = classCounts(data.validation.labels);
  const card: ClassifierCard = {
    format: CARD_FORMAT,
    arch: trainOptions.arch,
    inputSize: result.inputSpec.size,
    dataSize: data.size,
    labels: data.labels,
    normalization: result.inputSpec.normalization,
    threshold: result.threshold,
    training: {
      scenario: options.data.scenario,
      train: { n: data.train.labels.length, positives: trainPos, synthetic: data.train.origins.filter((o) => o === 'synthetic').length },
      validation: { n: data.validation.labels.length, positives: valPos, source: data.validationSource, auc: result.validationAuc },
      bestEpoch: result.bestEpoch,
      stopped: result.stopped,
      history: result.history,
      resumedFrom: result.resumedFrom,
    },
    provenance: {
      options: trainOptions,
      dataSeed,
      datasets: data.datasets,
      initialisation: result.pretrained ?? 'from scratch',
      backbone: describeInitialisation(trainOptions.arch, result.pretrained, result.warmupEpochs),
      warmupEpochs: result.warmupEpochs,
      backend,
      dermaganVersion: DERMAGAN_VERSION,
      createdAt: new Date().toISOString(),
    },
  };
  await saveClassifier(options.out, result.model, card);

  // Test on the real held-out images (never seen in training or early stopping).
  const { report, predictions } = await evaluateSet(tf, result.model, card, data.test, options.resamples === undefined ? {} : { resamples: options.resamples });
  const json = reportJson(report, card);
  await writeFile(join(options.out, 'test-predictions.csv'), predictionsCsv(predictions));
  await writeFile(join(options.out, 'test-report.json'), `${JSON.stringify(json, null, 1)}\n`);
  result.model.dispose();
  return { card, report, json };
}

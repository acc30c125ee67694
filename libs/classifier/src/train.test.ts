import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTf } from '@dermagan/tf';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModel, readState } from './checkpoint.ts';
import { ClassifierInterruptedError } from './errors.ts';
import { loadScenario, type ScenarioData } from './data/scenarios.ts';
import { rocAuc } from './measures/roc-auc.ts';
import { seededDropoutLayers } from './models/seeded-dropout.ts';
import { predictScores } from './predict.ts';
import { Rng } from './rng.ts';
import { writeBlobDataset } from './testing/blobs.ts';
import { epochOrder, trainClassifier } from './train.ts';

const { tf } = await loadTf();
let root: string;
let data: ScenarioData;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'classifier-train-'));
  await writeBlobDataset({ dir: join(root, 'real'), size: 16, patientsPerClass: 40, seed: 1 });
  data = await loadScenario({ scenario: 'real', real: join(root, 'real'), validationFraction: 0.2, seed: 2022 });
});

const weightsOf = (model: import('@tensorflow/tfjs').LayersModel) => model.getWeights().map((w) => Array.from(w.dataSync()));

describe('trainClassifier (small CNN, 16² bright vs dark blobs)', () => {
  it('learns the separable task: test AUC > 0.95, loss falls', async () => {
    const r = await trainClassifier(tf, data, { epochs: 6, patience: 6, batchSize: 16 });
    const auc = rocAuc(data.test.labels, await predictScores(tf, r.model, data.test, r.inputSpec, 64));
    expect(auc).toBeGreaterThan(0.95);
    expect(r.threshold.method).toBe('youden');
    expect(r.history.map((h) => h.epoch)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(r.history[5]!.loss).toBeLessThan(r.history[0]!.loss);
  });

  it('is reproducible: the same seed gives the same weights, another seed other weights', async () => {
    const a = await trainClassifier(tf, data, { epochs: 2, patience: 5, batchSize: 16, seed: 11 });
    const b = await trainClassifier(tf, data, { epochs: 2, patience: 5, batchSize: 16, seed: 11 });
    const c = await trainClassifier(tf, data, { epochs: 2, patience: 5, batchSize: 16, seed: 12 });
    expect(weightsOf(b.model)).toEqual(weightsOf(a.model));
    expect(weightsOf(c.model)).not.toEqual(weightsOf(a.model));
  });

  it('stops after the epoch in progress when asked, resumes from it and ends where an uninterrupted run ends (weights, optimizer, RNG, dropout step)', async () => {
    const options = { epochs: 3, patience: 5, batchSize: 16, seed: 5 } as const;
    const straight = await trainClassifier(tf, data, options, { checkpointDir: join(root, 'straight') });
    const dir = join(root, 'interrupted');
    const stop = new AbortController();
    const first = trainClassifier(tf, data, options, { checkpointDir: dir, signal: stop.signal, onProgress: (p) => p.kind === 'step' && stop.abort() });
    await expect(first).rejects.toThrow(ClassifierInterruptedError);
    await expect(first).rejects.toThrow(/stopped after epoch 1 of 3; it resumes from the checkpoint/);
    const resumed = await trainClassifier(tf, data, options, { checkpointDir: dir, resume: true });
    expect(resumed.resumedFrom).toBe(1);
    expect(resumed.history.map((h) => h.loss)).toEqual(straight.history.map((h) => h.loss));
    expect(weightsOf(resumed.model)).toEqual(weightsOf(straight.model));
    // The last epoch's model (not only the best one) is the same too.
    const [lastStraight, lastResumed] = await Promise.all([loadModel(tf, join(root, 'straight', 'model')), loadModel(tf, join(dir, 'model'))]);
    expect(weightsOf(lastResumed)).toEqual(weightsOf(lastStraight));
    expect((await readState(dir)).step).toBe(straight.history.reduce((n, h) => n + h.steps, 0));
  });

  it('refuses to resume a checkpoint written with other options', async () => {
    const dir = join(root, 'other');
    await trainClassifier(tf, data, { epochs: 1, batchSize: 16, seed: 5 }, { checkpointDir: dir });
    await expect(trainClassifier(tf, data, { epochs: 2, batchSize: 16, seed: 6 }, { checkpointDir: dir, resume: true })).rejects.toThrow(/cannot resume from .*drop --resume/);
  });

  it('stops early after `patience` epochs without a better validation AUC and keeps the best epoch', async () => {
    // The blobs reach validation AUC 1 at once: no later epoch is better.
    const r = await trainClassifier(tf, data, { epochs: 10, patience: 2, batchSize: 16 });
    expect(r.stopped).toBe('early-stopping');
    expect(r.history.length).toBe(r.bestEpoch + 2);
  });

  it('EfficientNet-B2 trains a step at 32² and its checkpoint (stochastic-depth layers included) loads back with the same predictions', async () => {
    await writeBlobDataset({ dir: join(root, 'real32'), size: 32, patientsPerClass: 6, seed: 3 });
    const d32 = await loadScenario({ scenario: 'real', real: join(root, 'real32'), validationFraction: 0.3, seed: 1 });
    const dir = join(root, 'b2');
    const r = await trainClassifier(tf, d32, { arch: 'efficientnet-b2', epochs: 1, batchSize: 4, maxStepsPerEpoch: 1 }, { checkpointDir: dir });
    expect(r.history[0]!.steps).toBe(1);
    const loaded = await loadModel(tf, join(dir, 'model'));
    const drops = seededDropoutLayers(loaded);
    expect(drops.filter((l) => l.perSample).length).toBe(16); // one per block with an identity skip (1+2+2+3+3+4+1)
    const a = await predictScores(tf, r.model, d32.validation, r.inputSpec, 16);
    const b = await predictScores(tf, loaded, d32.validation, r.inputSpec, 16);
    expect(Array.from(b)).toEqual(Array.from(a));
  });

  it('throws when a class is empty', async () => {
    const onlyNegatives = { ...data.train, labels: new Int32Array(data.train.labels.length) };
    await expect(trainClassifier(tf, { train: onlyNegatives, validation: data.validation })).rejects.toThrow(/training set has \d+ negative and 0 positive images/);
  });
});

describe('epochOrder', () => {
  const labels = Int32Array.from({ length: 1000 }, (_, i) => (i < 50 ? 1 : 0));
  it("'sampling' draws both classes about equally often, with replacement", () => {
    const order = epochOrder(new Rng(1), labels, 'sampling');
    expect(order).toHaveLength(1000);
    const positives = order.filter((i) => labels[i] === 1).length;
    expect(positives).toBeGreaterThan(430);
    expect(positives).toBeLessThan(570);
  });
  it("'none' and 'weights' are a permutation", () => {
    expect([...epochOrder(new Rng(1), labels, 'none')].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });
});

/**
 * The training loop (REFERENCE.md §7.1, without its validation leak): Adam, BCE on logits,
 * augmentation, an epoch at a time; after each epoch the validation AUC decides the best model
 * and early stopping; a checkpoint is written; at the end the best model is restored and the
 * decision threshold is chosen on validation by Youden's J.
 *
 * A pretrained backbone (EfficientNet-Lite2's ImageNet weights, or `weights`) first trains only
 * the new head for `warmupEpochs` epochs: the backbone frozen and run in inference mode (its batch
 * norm keeps the ImageNet statistics), so the random head cannot wreck the pretrained features;
 * then everything is fine-tuned with a fresh Adam (its moments are per variable position, and the
 * variable list changes). Early stopping waits for the fine-tuning phase.
 */
import type { Tf } from '@dermagan/tf';
import { applyTransforms, drawTransforms } from './data/augment.ts';
import { classCounts, type ImageSet } from './data/images.ts';
import { normalizeImages, toUnitTensor } from './data/preprocess.ts';
import { DEFAULT_TRAIN_OPTIONS, type TrainOptions } from './defaults.ts';
import {
  hasCheckpoint,
  loadModel,
  loadOptimizerState,
  readState,
  saveCheckpoint,
  CHECKPOINT_FORMAT,
  type EpochRecord,
  type TrainState,
} from './checkpoint.ts';
import { ClassifierInputError, ClassifierInterruptedError } from './errors.ts';
import { classWeights, weightedBce } from './loss.ts';
import { rocAuc } from './measures/roc-auc.ts';
import { youdenThreshold, type ChosenThreshold } from './measures/threshold.ts';
import { ARCHITECTURE_SPECS, buildModel, headLayers, initialiseModel, type Architecture } from './models/architectures.ts';
import type { PretrainedReport } from './models/pretrained.ts';
import { seededDropoutLayers } from './models/seeded-dropout.ts';
import { predictScores, type InputSpec } from './predict.ts';
import { Rng } from './rng.ts';

type LayersModel = import('@tensorflow/tfjs').LayersModel;
type Tensor = import('@tensorflow/tfjs').Tensor;
type Variable = import('@tensorflow/tfjs').Variable;

/** What the loop reports while it runs. */
export type TrainProgress =
  | { kind: 'step'; epoch: number; step: number; steps: number; loss: number }
  | { kind: 'epoch'; record: EpochRecord; best: TrainState['best'] };

export interface TrainHooks {
  /** Called after every step and every epoch. */
  onProgress?: (p: TrainProgress) => void;
  /** Folder of the per-epoch checkpoint; undefined = no checkpoints. */
  checkpointDir?: string;
  /** Continue from the checkpoint in `checkpointDir` when there is one. */
  resume?: boolean;
  /** Extra resume key entries (e.g. dataset fingerprints): a checkpoint with other values is refused. */
  key?: Record<string, unknown>;
  /** Aborted = stop after the epoch in progress (checkpointed) with ClassifierInterruptedError. */
  signal?: AbortSignal;
}

export interface TrainResult {
  /** The best model (by validation AUC). */
  model: LayersModel;
  inputSpec: InputSpec;
  /** Decision threshold chosen on validation scores of the best model. */
  threshold: ChosenThreshold;
  validationAuc: number;
  bestEpoch: number;
  history: EpochRecord[];
  stopped: NonNullable<TrainState['stopped']>;
  /** Pretrained weights loaded, or null when trained from scratch. */
  pretrained: PretrainedReport | null;
  /** The epoch a resumed run continued from, or null. */
  resumedFrom: number | null;
  /** Frozen-backbone epochs actually run first (0 from scratch). */
  warmupEpochs: number;
  options: TrainOptions;
}

/** The epoch's image order: a seeded shuffle, or a class-balanced draw with replacement. */
export function epochOrder(rng: Rng, labels: Int32Array, balance: TrainOptions['balance']): number[] {
  const n = labels.length;
  if (balance !== 'sampling') return rng.shuffle(Array.from({ length: n }, (_, i) => i));
  const byClass: [number[], number[]] = [[], []];
  labels.forEach((l, i) => byClass[l === 1 ? 1 : 0].push(i));
  return Array.from({ length: n }, () => {
    const pool = byClass[rng.next() < 0.5 ? 0 : 1];
    return pool[rng.int(pool.length)]!;
  });
}

/** Pixels of rows `rows` of a set, contiguous. */
function gatherPixels(set: ImageSet, rows: readonly number[]): Uint8Array {
  const per = set.size * set.size * 3;
  const out = new Uint8Array(rows.length * per);
  rows.forEach((r, i) => out.set(set.pixels.subarray(r * per, (r + 1) * per), i * per));
  return out;
}

/** The variables one training step updates and the forward pass it differentiates. */
interface Phase {
  variables: Variable[];
  forward: (x: Tensor) => Tensor;
}

/** Everything trains; batch norm in training mode. */
function fineTunePhase(model: LayersModel): Phase {
  return { variables: model.trainableWeights.map((w) => w.read() as Variable), forward: (x) => model.apply(x, { training: true }) as Tensor };
}

/** Only the head (a chain of layers on the backbone's output) trains; the backbone runs in inference mode. */
function warmupPhase(tf: Tf, model: LayersModel, arch: Architecture): Phase {
  const head = headLayers(arch).map((name) => model.getLayer(name));
  const backbone = tf.model({ inputs: model.inputs, outputs: head[0]!.input as import('@tensorflow/tfjs').SymbolicTensor });
  return {
    variables: head.flatMap((l) => l.trainableWeights.map((w) => w.read() as Variable)),
    forward: (x) => head.reduce((h, layer) => layer.apply(h, { training: true }) as Tensor, backbone.apply(x, { training: false }) as Tensor),
  };
}

const adam = (tf: Tf, learningRate: number) => tf.train.adam(learningRate, 0.9, 0.999, 1e-8);

function checkOptions(o: TrainOptions): void {
  const positive = (name: string, v: number) => {
    if (!Number.isInteger(v) || v <= 0) throw new ClassifierInputError(`trainClassifier: ${name} must be a positive integer, got ${v}`);
  };
  positive('epochs', o.epochs);
  positive('patience', o.patience);
  positive('batchSize', o.batchSize);
  positive('evalBatchSize', o.evalBatchSize);
  if (o.size !== undefined) positive('size', o.size);
  if (o.maxStepsPerEpoch !== undefined) positive('maxStepsPerEpoch', o.maxStepsPerEpoch);
  if (!Number.isInteger(o.warmupEpochs) || o.warmupEpochs < 0) throw new ClassifierInputError(`trainClassifier: warmupEpochs must be a non-negative integer, got ${o.warmupEpochs}`);
  if (!(o.dropConnectRate >= 0 && o.dropConnectRate < 1)) throw new ClassifierInputError(`trainClassifier: dropConnectRate must be in [0, 1), got ${o.dropConnectRate}`);
  if (!(o.learningRate > 0)) throw new ClassifierInputError(`trainClassifier: learningRate must be > 0, got ${o.learningRate}`);
}

export async function trainClassifier(
  tf: Tf,
  data: { train: ImageSet; validation: ImageSet },
  overrides: Partial<TrainOptions> = {},
  hooks: TrainHooks = {},
): Promise<TrainResult> {
  const options: TrainOptions = { ...DEFAULT_TRAIN_OPTIONS, ...overrides };
  checkOptions(options);
  const { train, validation } = data;
  for (const [what, set] of [['training', train], ['validation', validation]] as const) {
    const [neg, pos] = classCounts(set.labels);
    if (neg === 0 || pos === 0) throw new ClassifierInputError(`trainClassifier: the ${what} set has ${neg} negative and ${pos} positive images; both classes are needed`);
  }
  if (validation.size !== train.size) throw new ClassifierInputError(`trainClassifier: validation images are ${validation.size}px, training images ${train.size}px`);
  const spec = ARCHITECTURE_SPECS[options.arch];
  const inputSpec: InputSpec = { size: options.size ?? spec.defaultSize ?? train.size, normalization: spec.normalization };
  const key = { arch: options.arch, size: inputSpec.size, seed: options.seed, balance: options.balance, batchSize: options.batchSize, learningRate: options.learningRate, dropConnectRate: options.dropConnectRate, weights: options.weights ?? null, warmupEpochs: options.warmupEpochs, ...hooks.key };
  const warmupOf = (p: PretrainedReport | null) => (p !== null && spec.head.length > 0 ? options.warmupEpochs : 0);
  const phaseOf = (epoch: number, warmup: number) => (epoch <= warmup ? 'warmup' : 'fine-tune');

  // Build the model (fresh or from the checkpoint) and the optimizer of the phase it is in.
  let optimizer = adam(tf, options.learningRate);
  let model: LayersModel;
  let best: LayersModel | null = null;
  let state: TrainState;
  let resumedFrom: number | null = null;
  let pretrained: PretrainedReport | null = null;
  let optimizerPhase: 'warmup' | 'fine-tune' | null = null;
  const dir = hooks.checkpointDir;
  if (hooks.resume && dir !== undefined && (await hasCheckpoint(dir))) {
    state = await readState(dir);
    if (JSON.stringify(state.key) !== JSON.stringify(key)) {
      throw new ClassifierInputError(`cannot resume from ${dir}: it was written for ${JSON.stringify(state.key)}, this run is ${JSON.stringify(key)}. Use another --out or drop --resume`);
    }
    model = await loadModel(tf, `${dir}/model`);
    best = state.best ? await loadModel(tf, `${dir}/best`) : null;
    await loadOptimizerState(tf, dir, optimizer);
    resumedFrom = state.epoch;
    pretrained = state.pretrained;
    optimizerPhase = phaseOf(state.epoch, warmupOf(pretrained));
    if (state.stopped === 'max-epochs' && state.epoch < options.epochs) state.stopped = null;
  } else {
    model = buildModel(tf, options.arch, inputSpec.size, options.seed, { dropConnectRate: options.dropConnectRate });
    pretrained = await initialiseModel(tf, model, options.arch, options.weights);
    state = { format: CHECKPOINT_FORMAT, key, pretrained, epoch: 0, step: 0, rng: new Rng(options.seed ^ 0x2545f491).state(), best: null, sinceBest: 0, history: [], stopped: null };
  }
  const warmupEpochs = warmupOf(pretrained);
  const phases = { warmup: warmupEpochs > 0 ? warmupPhase(tf, model, options.arch) : null, 'fine-tune': fineTunePhase(model) };
  const dropouts = seededDropoutLayers(model);

  const classWeight = options.balance === 'weights' ? classWeights(train.labels) : [1, 1];

  while (state.stopped === null && state.epoch < options.epochs) {
    const epoch = state.epoch + 1;
    const phaseName = phaseOf(epoch, warmupEpochs);
    const phase = phases[phaseName]!;
    if (optimizerPhase !== null && optimizerPhase !== phaseName) {
      optimizer.dispose();
      optimizer = adam(tf, options.learningRate);
    }
    optimizerPhase = phaseName;
    const rng = new Rng(state.rng);
    const order = epochOrder(rng, train.labels, options.balance);
    let steps = Math.ceil(order.length / options.batchSize);
    if (order.length % options.batchSize === 1) steps--; // never a batch of one (batch norm)
    if (options.maxStepsPerEpoch !== undefined) steps = Math.min(steps, options.maxStepsPerEpoch);

    // Train one epoch.
    const started = performance.now();
    let lossSum = 0;
    for (let s = 0; s < steps; s++) {
      const rows = order.slice(s * options.batchSize, (s + 1) * options.batchSize);
      const transforms = drawTransforms(rng, rows.length, options.augment);
      for (const d of dropouts) d.step = state.step;
      const loss = tf.tidy(() => {
        const unit = toUnitTensor(tf, gatherPixels(train, rows), rows.length, train.size);
        const x = normalizeImages(tf, applyTransforms(tf, unit, transforms), inputSpec.size, inputSpec.normalization);
        const y = tf.tensor1d(rows.map((r) => train.labels[r]!), 'float32');
        const w = tf.tensor1d(rows.map((r) => classWeight[train.labels[r]!]!), 'float32');
        return optimizer.minimize(() => weightedBce(tf, phase.forward(x), y, w), true, phase.variables)!;
      });
      const value = (await loss.data())[0]!;
      loss.dispose();
      lossSum += value;
      state.step++;
      hooks.onProgress?.({ kind: 'step', epoch, step: s + 1, steps, loss: value });
    }
    const trainSeconds = (performance.now() - started) / 1000;

    // Validate; keep the best model; early stopping.
    const validationStarted = performance.now();
    const auc = rocAuc(validation.labels, await predictScores(tf, model, validation, inputSpec, options.evalBatchSize));
    const record: EpochRecord = { epoch, loss: lossSum / steps, validationAuc: auc, steps, trainSeconds, validationSeconds: (performance.now() - validationStarted) / 1000, ...(phaseName === 'warmup' ? { frozenBackbone: true } : {}) };
    state.history.push(record);
    state.epoch = epoch;
    state.rng = rng.state();
    if (state.best === null || auc > state.best.auc) {
      state.best = { auc, epoch };
      state.sinceBest = 0;
      best ??= buildModel(tf, options.arch, inputSpec.size, options.seed, { dropConnectRate: options.dropConnectRate });
      best.setWeights(model.getWeights());
    } else {
      state.sinceBest++;
    }
    if (state.sinceBest >= options.patience && phaseName === 'fine-tune') state.stopped = 'early-stopping';
    else if (state.epoch >= options.epochs) state.stopped = 'max-epochs';

    // Save the checkpoint.
    if (dir !== undefined) await saveCheckpoint(tf, dir, state, model, best, optimizer);
    hooks.onProgress?.({ kind: 'epoch', record, best: state.best });
    if (hooks.signal?.aborted && state.stopped === null) {
      model.dispose();
      best?.dispose();
      optimizer.dispose();
      throw new ClassifierInterruptedError(`classifier training stopped after epoch ${state.epoch} of ${options.epochs}${dir === undefined ? '' : `; it resumes from the checkpoint in ${dir}`}`);
    }
  }
  if (state.stopped === null) state.stopped = 'max-epochs';

  // Restore the best model and choose the threshold on validation.
  const bestModel = best ?? model;
  if (bestModel !== model) model.dispose();
  const validationScores = await predictScores(tf, bestModel, validation, inputSpec, options.evalBatchSize);
  optimizer.dispose();
  return {
    model: bestModel,
    inputSpec,
    threshold: youdenThreshold(validation.labels, validationScores),
    validationAuc: rocAuc(validation.labels, validationScores),
    bestEpoch: state.best?.epoch ?? 0,
    history: state.history,
    stopped: state.stopped,
    pretrained,
    resumedFrom,
    warmupEpochs,
    options,
  };
}

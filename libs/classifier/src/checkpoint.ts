/**
 * A training checkpoint, written after every epoch so a killed run resumes where it stopped:
 * the last model (weights and batch-norm statistics), the best model so far, the optimizer's
 * state (Adam's step count and moments), the RNG state, the global step (dropout masks) and the
 * history. Written to `DIR.partial` and renamed into place, so a reader never sees half of one.
 *
 *   DIR/state.json            TrainState
 *   DIR/model/model.json      last epoch's model (tfjs layers format, + weights.bin)
 *   DIR/best/model.json       best validation AUC so far
 *   DIR/optimizer.json/.bin   optimizer weights in order (tfjs weight specs + data)
 */
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { modelFilesHandler, type Tf } from '@dermagan/tf';
import { ClassifierInputError } from './errors.ts';
import { seededDropoutClass } from './models/seeded-dropout.ts';

type LayersModel = import('@tensorflow/tfjs').LayersModel;
type Optimizer = import('@tensorflow/tfjs').Optimizer;

export const CHECKPOINT_FORMAT = 'dermagan.classifier-checkpoint/v1';

/** One finished epoch. */
export interface EpochRecord {
  epoch: number;
  /** Mean training loss over the epoch's steps. */
  loss: number;
  /** ROC-AUC on the validation set after the epoch. */
  validationAuc: number;
  steps: number;
  /** Wall time of the epoch's training steps (validation excluded). */
  trainSeconds: number;
  /** Wall time of the validation pass. */
  validationSeconds: number;
  /** A warm-up epoch: only the head trained, the pretrained backbone frozen. */
  frozenBackbone?: true;
}

export interface TrainState {
  format: typeof CHECKPOINT_FORMAT;
  /** What must match for a resume to continue the same run (architecture, size, seed, data). */
  key: Record<string, unknown>;
  /** Pretrained weights loaded at the start, or null (from scratch). */
  pretrained: import('./models/pretrained.ts').PretrainedReport | null;
  /** Epochs completed. */
  epoch: number;
  /** Training steps completed (seeds the dropout masks). */
  step: number;
  /** State of the training RNG (shuffling, sampling, augmentation). */
  rng: number;
  best: { auc: number; epoch: number } | null;
  /** Epochs since the best one. */
  sinceBest: number;
  history: EpochRecord[];
  /** Why training ended, or null while it can continue. */
  stopped: 'early-stopping' | 'max-epochs' | null;
}

const fileUri = (dir: string) => `file://${resolve(dir)}`;

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

export async function saveModel(model: LayersModel, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await model.save(fileUri(dir));
}

export async function loadModel(tf: Tf, dir: string): Promise<LayersModel> {
  seededDropoutClass(tf); // the custom layer must be registered before deserialising
  const path = join(dir, 'model.json');
  if (!(await exists(path))) throw new ClassifierInputError(`${dir} holds no model (${path} is missing)`);
  return tf.loadLayersModel(modelFilesHandler(path));
}

export async function saveCheckpoint(tf: Tf, dir: string, state: TrainState, model: LayersModel, best: LayersModel | null, optimizer: Optimizer): Promise<void> {
  const partial = `${dir}.partial`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  await saveModel(model, join(partial, 'model'));
  if (best) await saveModel(best, join(partial, 'best'));
  const weights = await optimizer.getWeights();
  const { data, specs } = await tf.io.encodeWeights(weights);
  await writeFile(join(partial, 'optimizer.bin'), Buffer.from(data as ArrayBuffer));
  await writeFile(join(partial, 'optimizer.json'), JSON.stringify({ order: weights.map((w) => w.name), specs }));
  await writeFile(join(partial, 'state.json'), `${JSON.stringify(state, null, 1)}\n`);
  await rm(`${dir}.old`, { recursive: true, force: true });
  if (await exists(dir)) await rename(dir, `${dir}.old`);
  await rename(partial, dir);
  await rm(`${dir}.old`, { recursive: true, force: true });
}

export async function hasCheckpoint(dir: string): Promise<boolean> {
  return exists(join(dir, 'state.json'));
}

export async function readState(dir: string): Promise<TrainState> {
  const state = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as TrainState;
  if (state.format !== CHECKPOINT_FORMAT) throw new ClassifierInputError(`${dir}/state.json is not a ${CHECKPOINT_FORMAT} checkpoint`);
  return state;
}

/** Restore the optimizer's weights (in saved order: Adam pairs them with variables by position). */
export async function loadOptimizerState(tf: Tf, dir: string, optimizer: Optimizer): Promise<void> {
  const { order, specs } = JSON.parse(await readFile(join(dir, 'optimizer.json'), 'utf8')) as { order: string[]; specs: import('@tensorflow/tfjs').io.WeightsManifestEntry[] };
  const bytes = await readFile(join(dir, 'optimizer.bin'));
  const map = tf.io.decodeWeights(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), specs);
  await optimizer.setWeights(order.map((name) => ({ name, tensor: map[name]! })));
}

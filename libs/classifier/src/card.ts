/**
 * A trained classifier on disk: `DIR/model/` (tfjs layers model, the best epoch) and
 * `DIR/classifier.json` (this card: what the model expects, the threshold chosen on validation,
 * how it was trained and on what). Eval and embed read the card to refuse data the model was not
 * trained for.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BackendInfo, Tf } from '@dermagan/tf';
import { loadModel, saveModel, type EpochRecord } from './checkpoint.ts';
import type { DatasetRef, Scenario } from './data/scenarios.ts';
import type { Normalization } from './data/preprocess.ts';
import type { TrainOptions } from './defaults.ts';
import { ClassifierInputError } from './errors.ts';
import type { ChosenThreshold } from './measures/threshold.ts';
import type { Architecture } from './models/architectures.ts';
import type { PretrainedReport } from './models/pretrained.ts';

export const CARD_FORMAT = 'dermagan.classifier/v1';

export interface ClassifierCard {
  format: typeof CARD_FORMAT;
  arch: Architecture;
  /** Model input side in pixels. */
  inputSize: number;
  /** Side of the dataset images it was trained on; eval/embed need datasets of this size. */
  dataSize: number;
  /** Class names, negative first; the score is P(labels[1]). */
  labels: [string, string];
  normalization: Normalization;
  /** Decision threshold chosen on validation (Youden's J), used for sensitivity/specificity. */
  threshold: ChosenThreshold;
  training: {
    scenario: Scenario;
    /** Images per class [negatives, positives], and how many of them are synthetic. */
    train: { n: number; positives: number; synthetic: number };
    validation: { n: number; positives: number; source: 'real-train' | 'synthetic'; auc: number };
    bestEpoch: number;
    stopped: 'early-stopping' | 'max-epochs';
    history: EpochRecord[];
    resumedFrom: number | null;
  };
  provenance: {
    options: TrainOptions;
    /** Seed of the validation split and synthetic sub-sampling. */
    dataSeed: number;
    datasets: { real: DatasetRef; synthetic?: DatasetRef };
    /** ImageNet (or other) weights loaded, or 'from scratch'. */
    initialisation: PretrainedReport | 'from scratch';
    /** The same in words, with the warm-up: "EfficientNet-Lite2, ImageNet-pretrained (…), 2 frozen-backbone warm-up epochs, then fine-tuned" or "EfficientNet-B2, trained from scratch (…)". */
    backbone: string;
    /** Frozen-backbone warm-up epochs run (0 from scratch). */
    warmupEpochs: number;
    backend: BackendInfo;
    dermaganVersion: string;
    createdAt: string;
  };
}

export async function saveClassifier(dir: string, model: import('@tensorflow/tfjs').LayersModel, card: ClassifierCard): Promise<void> {
  await mkdir(dir, { recursive: true });
  await saveModel(model, join(dir, 'model'));
  const path = join(dir, 'classifier.json');
  await writeFile(`${path}.tmp`, `${JSON.stringify(card, null, 1)}\n`);
  await rename(`${path}.tmp`, path);
}

export async function readCard(dir: string): Promise<ClassifierCard> {
  const path = join(dir, 'classifier.json');
  let card: ClassifierCard;
  try {
    card = JSON.parse(await readFile(path, 'utf8')) as ClassifierCard;
  } catch (err) {
    throw new ClassifierInputError(`${dir} is not a trained classifier: ${path} cannot be read (${(err as Error).message}). Train one with 'dermagan classifier train'.`, {
      cause: err,
    });
  }
  if (card.format !== CARD_FORMAT) throw new ClassifierInputError(`${path} is not a ${CARD_FORMAT} card (format: ${String(card.format)})`);
  return card;
}

export async function loadClassifier(tf: Tf, dir: string) {
  const card = await readCard(dir);
  const model = await loadModel(tf, join(dir, 'model'));
  return { card, model };
}

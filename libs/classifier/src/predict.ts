import type { Tf } from '@dermagan/tf';
import { normalizeImages, toUnitTensor, type Normalization } from './data/preprocess.ts';
import type { ImageSet } from './data/images.ts';
import { EMBEDDING_LAYER } from './models/names.ts';

type LayersModel = import('@tensorflow/tfjs').LayersModel;
type Tensor = import('@tensorflow/tfjs').Tensor;

/** How images become the model's input. */
export interface InputSpec {
  /** Model input side. */
  size: number;
  normalization: Normalization;
}

/** Rows [from, to) of a set as a normalised input batch. */
export function inputBatch(tf: Tf, set: ImageSet, from: number, to: number, spec: InputSpec) {
  const per = set.size * set.size * 3;
  return tf.tidy(() => normalizeImages(tf, toUnitTensor(tf, set.pixels.subarray(from * per, to * per), to - from, set.size), spec.size, spec.normalization));
}

/** Run `fn` over a set in batches (inference mode) and concatenate the rows it returns. */
async function mapBatches(tf: Tf, set: ImageSet, spec: InputSpec, batchSize: number, width: number, fn: (x: Tensor) => Tensor): Promise<Float32Array> {
  const n = set.labels.length;
  const out = new Float32Array(n * width);
  for (let from = 0; from < n; from += batchSize) {
    const to = Math.min(n, from + batchSize);
    const y = tf.tidy(() => fn(inputBatch(tf, set, from, to, spec)));
    out.set(await y.data(), from * width);
    y.dispose();
  }
  return out;
}

/** P(positive) per image: sigmoid of the model's logit, no augmentation, no dropout. */
export async function predictScores(tf: Tf, model: LayersModel, set: ImageSet, spec: InputSpec, batchSize: number): Promise<Float64Array> {
  const p = await mapBatches(tf, set, spec, batchSize, 1, (x) => tf.sigmoid(model.predict(x) as Tensor));
  return Float64Array.from(p);
}

/** Penultimate-layer activations (`embedding`), float32 [n, d]. */
export async function embed(tf: Tf, model: LayersModel, set: ImageSet, spec: InputSpec, batchSize: number): Promise<{ data: Float32Array; width: number }> {
  const layer = model.getLayer(EMBEDDING_LAYER);
  const features = tf.model({ inputs: model.inputs, outputs: layer.output as import('@tensorflow/tfjs').SymbolicTensor });
  const width = (layer.outputShape as number[])[1]!;
  const data = await mapBatches(tf, set, spec, batchSize, width, (x) => features.predict(x) as Tensor);
  return { data, width };
}

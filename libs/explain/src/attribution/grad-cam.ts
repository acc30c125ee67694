/**
 * Grad-CAM (Selvaraju et al. 2017) on the classifier's last feature map — the input of its global
 * average pooling, where both architectures (small CNN, EfficientNet-B2) keep their last spatial
 * features: channel weights α_k = mean over positions of ∂score/∂A_k, map = ReLU(Σ_k α_k A_k),
 * upsampled bilinearly to the image and scaled to [0, 1].
 */
import type { ClassifierCard } from '@dermagan/classifier';
import type { Tf } from '@dermagan/tf';
import { ExplainInputError } from '../errors.ts';
import { modelInput } from './classifier-score.ts';

type LayersModel = import('@tensorflow/tfjs').LayersModel;
type Tensor = import('@tensorflow/tfjs').Tensor;
type Tensor4D = import('@tensorflow/tfjs').Tensor4D;
type SymbolicTensor = import('@tensorflow/tfjs').SymbolicTensor;

/** The model split at its global average pooling: features (input → last map) and head (map → logit). */
export interface SplitModel {
  features: LayersModel;
  head: LayersModel;
  layer: string;
}

export function splitAtPooling(tf: Tf, model: LayersModel): SplitModel {
  const index = model.layers.findIndex((l) => l.getClassName() === 'GlobalAveragePooling2D');
  if (index < 0) throw new ExplainInputError(`Grad-CAM needs a model with a GlobalAveragePooling2D layer; ${model.name} has none`);
  const pool = model.layers[index]!;
  const features = tf.model({ inputs: model.inputs, outputs: pool.getInputAt(0) as SymbolicTensor });
  const shape = (pool.getInputAt(0) as SymbolicTensor).shape.slice(1) as number[];
  const input = tf.input({ shape });
  // Check the chain on the original graph (node 0) before applying the layers to a new input.
  const chain = model.layers.slice(index);
  let previous = pool.getInputAt(0) as SymbolicTensor;
  for (const layer of chain) {
    const inbound = layer.getInputAt(0) as SymbolicTensor | SymbolicTensor[];
    if (Array.isArray(inbound) || inbound.id !== previous.id) {
      throw new ExplainInputError(`Grad-CAM: the layers after ${pool.name} must form a chain; ${layer.name} does not follow the layer before it`);
    }
    previous = layer.getOutputAt(0) as SymbolicTensor;
  }
  let x: SymbolicTensor = input;
  for (const layer of chain) x = layer.apply(x) as SymbolicTensor;
  return { features, head: tf.model({ inputs: input, outputs: x }), layer: pool.name };
}

/** Grad-CAM of unit-range images [n, size, size, 3] for a target class → maps [n, size, size] in [0, 1]. */
export function gradCam(tf: Tf, split: SplitModel, card: Pick<ClassifierCard, 'inputSize' | 'normalization'>, images: Float32Array, n: number, size: number, target: 0 | 1): Float32Array {
  const out = tf.tidy(() => {
    const x = modelInput(tf, card, tf.tensor4d(images, [n, size, size, 3]));
    const maps = split.features.apply(x, { training: false }) as Tensor4D;
    const score = (a: Tensor) => {
      const p = tf.sigmoid((split.head.apply(a, { training: false }) as Tensor).reshape([-1]));
      return tf.sum(target === 1 ? p : tf.sub(1, p));
    };
    const grads = tf.grad(score)(maps) as Tensor4D;
    const alpha = tf.mean(grads, [1, 2], true);
    const cam = tf.relu(tf.sum(tf.mul(alpha, maps), 3, true)) as Tensor4D;
    const up = tf.image.resizeBilinear(cam, [size, size], true);
    const max = tf.max(up, [1, 2, 3], true);
    return tf.div(up, tf.maximum(max, 1e-12)).reshape([n, size, size]);
  });
  const values = out.dataSync() as Float32Array;
  out.dispose();
  return Float32Array.from(values);
}

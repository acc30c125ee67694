import type { Tf } from '@dermagan/tf';
import { Rng } from '../rng.ts';
import { seededDropoutClass } from './seeded-dropout.ts';
import { EMBEDDING_LAYER, LOGIT_LAYER } from './names.ts';

export interface SmallCnnOptions {
  /** Input side in pixels (images are [size, size, 3]); at least 16. */
  size: number;
  /** Seed of the weight initialisers and the dropout masks. */
  seed: number;
  /** Filters of the conv stages (each: 3×3 conv, batch norm, ReLU, 2×2 max-pool). */
  filters?: number[];
  /** Units of the penultimate dense layer (the embedding). */
  embeddingUnits?: number;
  /** Dropout before the logit. */
  dropout?: number;
}

export const SMALL_CNN_DEFAULTS = { filters: [16, 32, 64, 128], embeddingUnits: 64, dropout: 0.3 } as const;

/**
 * A small CNN for laptops and tests: conv stages → global average pool → dense (ReLU,
 * `embedding`) → dropout → dense 1 (`logit`, no activation: the loss takes logits).
 */
export function buildSmallCnn(tf: Tf, options: SmallCnnOptions) {
  const filters = options.filters ?? [...SMALL_CNN_DEFAULTS.filters];
  if (!Number.isInteger(options.size) || options.size < 2 ** filters.length) {
    throw new RangeError(`buildSmallCnn: size must be an integer >= ${2 ** filters.length} for ${filters.length} pooling stages, got ${options.size}`);
  }
  const rng = new Rng(options.seed);
  const glorot = () => tf.initializers.glorotUniform({ seed: rng.seed() });
  const input = tf.input({ shape: [options.size, options.size, 3], name: 'image' });
  let x = input as import('@tensorflow/tfjs').SymbolicTensor;
  filters.forEach((f, i) => {
    x = tf.layers.conv2d({ filters: f, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: glorot(), name: `conv${i + 1}` }).apply(x) as typeof x;
    x = tf.layers.batchNormalization({ momentum: 0.99, epsilon: 1e-3, name: `bn${i + 1}` }).apply(x) as typeof x;
    x = tf.layers.activation({ activation: 'relu', name: `relu${i + 1}` }).apply(x) as typeof x;
    x = tf.layers.maxPooling2d({ poolSize: 2, name: `pool${i + 1}` }).apply(x) as typeof x;
  });
  x = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as typeof x;
  x = tf.layers
    .dense({ units: options.embeddingUnits ?? SMALL_CNN_DEFAULTS.embeddingUnits, activation: 'relu', kernelInitializer: glorot(), name: EMBEDDING_LAYER })
    .apply(x) as typeof x;
  const Dropout = seededDropoutClass(tf);
  x = new Dropout({ rate: options.dropout ?? SMALL_CNN_DEFAULTS.dropout, seed: rng.seed(), name: 'dropout' }).apply(x) as typeof x;
  const logit = tf.layers.dense({ units: 1, kernelInitializer: glorot(), name: LOGIT_LAYER }).apply(x) as typeof x;
  return tf.model({ inputs: input, outputs: logit, name: 'small_cnn' });
}

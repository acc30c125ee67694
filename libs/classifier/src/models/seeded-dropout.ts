import type { Tf } from '@dermagan/tf';

type Tensor = import('@tensorflow/tfjs').Tensor;
type Kwargs = Record<string, unknown>;

/** Constructor arguments of {@link SeededDropoutLayer}. */
export interface SeededDropoutArgs {
  /** Fraction of units (or, with `perSample`, of whole samples) dropped in training, in [0, 1). */
  rate: number;
  /** Base seed; the mask of training step t is drawn with seed mix(seed, t). */
  seed: number;
  /** True = one draw per sample (noise shape [n, 1, 1, 1]): stochastic depth / drop-connect. */
  perSample?: boolean;
  name?: string;
}

/** The public face of the layer: the training loop sets `step` before each training step. */
export interface SeededDropoutLayer {
  /** Training step whose mask the next call draws (part of a checkpoint's state, so resume is exact). */
  step: number;
  readonly rate: number;
  readonly perSample: boolean;
}

export const SEEDED_DROPOUT_CLASS = 'DermaganSeededDropout';

/**
 * Dropout whose mask is a function of (seed, step): tfjs' own Dropout either draws from
 * Math.random (not reproducible) or, given a seed, draws the same mask at every call. Identity
 * outside training. Registered for serialisation under {@link SEEDED_DROPOUT_CLASS}.
 */
const classes = new WeakMap<Tf, new (args: SeededDropoutArgs) => import('@tensorflow/tfjs').layers.Layer & SeededDropoutLayer>();

export function seededDropoutClass(tf: Tf) {
  const known = classes.get(tf);
  if (known) return known;
  class SeededDropout extends tf.layers.Layer implements SeededDropoutLayer {
    static className = SEEDED_DROPOUT_CLASS;
    readonly rate: number;
    readonly seed: number;
    readonly perSample: boolean;
    step = 0;

    constructor(args: SeededDropoutArgs) {
      super(args.name === undefined ? {} : { name: args.name });
      if (!(args.rate >= 0 && args.rate < 1)) throw new RangeError(`SeededDropout: rate must be in [0, 1), got ${args.rate}`);
      this.rate = args.rate;
      this.seed = args.seed;
      this.perSample = args.perSample ?? false;
      this.supportsMasking = true;
    }

    override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      if (kwargs.training !== true || this.rate === 0) return x;
      const noiseShape = this.perSample ? [x.shape[0]!, ...x.shape.slice(1).map(() => 1)] : undefined;
      // Mix seed and step into one 31-bit integer (Knuth's multiplicative hash on the step).
      const stepSeed = (this.seed ^ Math.imul(this.step + 1, 0x9e3779b1)) & 0x7fffffff;
      return tf.dropout(x, this.rate, noiseShape, stepSeed);
    }

    override computeOutputShape(shape: number[] | number[][]) {
      return shape;
    }

    override getConfig() {
      return { ...super.getConfig(), rate: this.rate, seed: this.seed, perSample: this.perSample };
    }
  }
  tf.serialization.registerClass(SeededDropout as unknown as Parameters<Tf['serialization']['registerClass']>[0]);
  classes.set(tf, SeededDropout);
  return SeededDropout;
}

/** The model's seeded dropout layers (to set `step` on before a training step). */
export function seededDropoutLayers(model: import('@tensorflow/tfjs').LayersModel): SeededDropoutLayer[] {
  return model.layers.filter((l) => l.getClassName() === SEEDED_DROPOUT_CLASS) as unknown as SeededDropoutLayer[];
}

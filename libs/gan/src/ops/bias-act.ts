/**
 * Bias + activation + gain + clamp, the `bias_act` of StyleGAN2: y = clamp(act(x + b) · gain).
 * `b` is added along the last axis (channels in NHWC, features in [N, F]).
 */
import type { Tensor, Tf } from '../tf-types.ts';

/**
 * 'lrelu' is the reference's. 'smooth-lrelu' (½((1+α)x + (1−α)√(x²+δ)) − c, δ = 0.01) has the same
 * slopes away from 0 but no kink: only for finite-difference tests of second-order gradients,
 * which jump wherever a ReLU-like unit flips (so differences never converge through lrelu).
 */
export type Activation = 'linear' | 'lrelu' | 'smooth-lrelu';

/** Leaky-ReLU slope and its default gain (√2 keeps the signal's second moment). */
export const LRELU_ALPHA = 0.2;
export const ACTIVATION_GAIN: Record<Activation, number> = { linear: 1, lrelu: Math.SQRT2, 'smooth-lrelu': Math.SQRT2 };
const SMOOTH_DELTA = 0.01;

export interface BiasActOptions {
  /** Activation (default 'linear'). */
  act?: Activation;
  /** Extra gain multiplied into the activation's default gain (default 1). */
  gain?: number;
  /** Clamp the output to ±clamp after the gain (undefined = no clamp). */
  clamp?: number;
}

export function biasAct<T extends Tensor>(tf: Tf, x: T, b: Tensor | undefined, options: BiasActOptions = {}): T {
  const act = options.act ?? 'linear';
  const gain = ACTIVATION_GAIN[act] * (options.gain ?? 1);
  if (b !== undefined && (b.rank !== 1 || b.shape[0] !== x.shape[x.rank - 1])) {
    throw new Error(`Error in biasAct: bias must be [${x.shape[x.rank - 1]}], got [${b.shape}]`);
  }
  let y: Tensor = b === undefined ? x : tf.add(x, b);
  if (act === 'lrelu') y = tf.leakyRelu(y, LRELU_ALPHA);
  if (act === 'smooth-lrelu') {
    const a = LRELU_ALPHA;
    const r = tf.sqrt(tf.add(tf.square(y), SMOOTH_DELTA));
    y = tf.sub(tf.mul(tf.add(tf.mul(y, 1 + a), tf.mul(r, 1 - a)), 0.5), 0.5 * (1 - a) * Math.sqrt(SMOOTH_DELTA));
  }
  if (gain !== 1) y = tf.mul(y, gain);
  if (options.clamp !== undefined) y = tf.clipByValue(y, -options.clamp, options.clamp);
  return y as T;
}

/**
 * Modulated (and demodulated) convolution, StyleGAN2's core op (Karras et al. 2020, §2.2).
 *
 * Per sample n, the weights would be w'[o,i,k] = w[o,i,k]·s[n,i] and, demodulated,
 * w''[o,i,k] = w'/√(Σ_{i,k} w'² + 1e-8). Instead of a grouped conv with per-sample weights, the
 * same result comes from one batched conv on scaled activations — the fastest form on native TF
 * CPU (a single oneDNN conv, no per-sample weights, and the form NVlabs uses in training):
 *   y = conv(x · s[n,i], w) · d[n,o],   d[n,o] = 1/√(Σ_i s[n,i]² · Σ_k w[o,i,k]² + 1e-8),
 * then + noise. Layout NHWC; weights [k, k, in, out] (raw, no equalisation gain: demodulation
 * removes any scale).
 */
import type { Tensor2D, Tensor4D, Tf } from '../tf-types.ts';
import { conv2dResample } from './equalized-conv.ts';

export interface ModulatedConvOptions {
  /** Divide by the per-output-channel norm of the modulated weights (false for toRGB). */
  demodulate: boolean;
  /** 2 = FIR ×2 upsampling (transposed conv + filter; default 1). */
  up?: 1 | 2;
  /** Added after demodulation, [N, H', W', 1] (or broadcastable); undefined = none. */
  noise?: Tensor4D;
}

/**
 * x [N,H,W,in], weight [k,k,in,out], styles [N,in] → [N,H',W',out].
 */
export function modulatedConv2d(tf: Tf, x: Tensor4D, weight: Tensor4D, styles: Tensor2D, options: ModulatedConvOptions): Tensor4D {
  const [n, , , cin] = x.shape;
  const [kh, kw, win, cout] = weight.shape;
  if (win !== cin || kh !== kw) throw new Error(`Error in modulatedConv2d: weight must be [k,k,${cin},out], got [${weight.shape}]`);
  if (styles.rank !== 2 || styles.shape[0] !== n || styles.shape[1] !== cin) {
    throw new Error(`Error in modulatedConv2d: styles must be [${n}, ${cin}], got [${styles.shape}]`);
  }
  const xs = tf.mul(x, tf.reshape(styles, [n, 1, 1, cin])) as Tensor4D;
  let y = conv2dResample(tf, xs, weight, options.up ?? 1, 1);
  if (options.demodulate) {
    const wsq = tf.reshape(tf.sum(tf.square(weight), [0, 1]), [cin, cout]) as Tensor2D; // Σ_k w²  [in,out]
    const d = tf.rsqrt(tf.add(tf.matMul(tf.square(styles), wsq), 1e-8)); // [N,out]
    y = tf.mul(y, tf.reshape(d, [n, 1, 1, cout])) as Tensor4D;
  }
  if (options.noise !== undefined) y = tf.add(y, options.noise) as Tensor4D;
  return y;
}

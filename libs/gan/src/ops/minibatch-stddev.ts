/**
 * Minibatch standard deviation (Karras et al. 2018), as the StyleGAN2 discriminator epilogue uses
 * it: samples are split into groups of G = min(groupSize, N) — sample n belongs to group n mod (N/G)
 * — the std over each group is averaged over channels (per `numChannels` slice) and pixels, and
 * appended as extra feature maps. Layout NHWC.
 */
import type { Tensor4D, Tf } from '../tf-types.ts';

export function minibatchStddev(tf: Tf, x: Tensor4D, groupSize: number, numChannels = 1): Tensor4D {
  const [n, h, w, c] = x.shape;
  const g = Math.min(groupSize, n);
  if (n % g !== 0) throw new Error(`Error in minibatchStddev: batch ${n} must be divisible by the group size ${g}`);
  if (c % numChannels !== 0) throw new Error(`Error in minibatchStddev: channels ${c} must be divisible by ${numChannels}`);
  const m = n / g;
  const f = numChannels;
  const y5 = tf.reshape(x, [g, m, h, w, f, c / f]);
  const centred = tf.sub(y5, tf.mean(y5, 0));
  const std = tf.sqrt(tf.add(tf.mean(tf.square(centred), 0), 1e-8)); // [m,h,w,f,c/f]
  const s = tf.mean(std, [1, 2, 4]); // [m,f]
  const tiled = tf.tile(tf.reshape(s, [1, m, 1, f]), [g, 1, h * w, 1]); // rank 4: tfjs tiles rank ≤ 4 with gradients
  return tf.concat([x, tf.reshape(tiled, [n, h, w, f])], 3) as Tensor4D;
}

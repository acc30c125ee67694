/**
 * Gradient clean-up before the optimiser step, as the reference: NaN → 0, ±Inf → ±1e5
 * (`nan_to_num`). One reduction checks the whole set first, so the common all-finite case costs a
 * single sum per tensor.
 */
import type { Tensor, Tf } from './tf-types.ts';

export function cleanGradients(tf: Tf, grads: Map<string, Tensor>): { cleaned: number } {
  if (grads.size === 0) return { cleaned: 0 };
  const total = tf.tidy(() => tf.addN([...grads.values()].map((g) => tf.sum(g))));
  const finite = Number.isFinite(total.dataSync()[0]!);
  total.dispose();
  if (finite) return { cleaned: 0 };
  let cleaned = 0;
  for (const [name, g] of grads) {
    const fixed = tf.tidy(() => {
      const noNan = tf.where(tf.isNaN(g), tf.zerosLike(g), g);
      const posInf = tf.equal(noNan, Infinity);
      const negInf = tf.equal(noNan, -Infinity);
      return tf.where(posInf, tf.fill(g.shape, 1e5), tf.where(negInf, tf.fill(g.shape, -1e5), noNan));
    });
    g.dispose();
    grads.set(name, fixed);
    cleaned += 1;
  }
  return { cleaned };
}

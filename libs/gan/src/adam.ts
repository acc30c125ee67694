/**
 * Adam (Kingma & Ba 2015) exactly as torch.optim.Adam computes it, with state we can checkpoint:
 *   m ← β1·m + (1−β1)·g,  v ← β2·v + (1−β2)·g²,
 *   p ← p − lr/(1−β1^t) · m / (√v/√(1−β2^t) + ε).
 * A parameter without a gradient in a phase gets g = 0 (the reference's `loss + 0·output` trick
 * gives every parameter a gradient, zero where unconnected).
 */
import type { ParamSet } from './params.ts';
import type { Tensor, Tf, Variable } from './tf-types.ts';

export interface AdamOptions {
  /** Learning rate (after the lazy-regularisation correction). */
  lr: number;
  /** β1, β2 (after the correction). */
  betas: [number, number];
  /** ε. */
  eps: number;
}

/** Lazy regularisation (StyleGAN2 appendix B): with a reg interval I, lr·r and β^r, r = I/(I+1). */
export function lazyRegAdam(lr: number, betas: [number, number], eps: number, interval: number | undefined): AdamOptions {
  const r = interval === undefined || interval <= 0 ? 1 : interval / (interval + 1);
  return { lr: lr * r, betas: [betas[0] ** r, betas[1] ** r], eps };
}

export class Adam {
  /** Steps taken (t in the bias corrections). */
  step = 0;
  readonly m = new Map<string, Variable>();
  readonly v = new Map<string, Variable>();

  constructor(
    private readonly tf: Tf,
    readonly ps: ParamSet,
    readonly options: AdamOptions,
  ) {
    for (const [name, p] of ps.params) {
      this.m.set(name, tf.variable(tf.zerosLike(p), false));
      this.v.set(name, tf.variable(tf.zerosLike(p), false));
    }
  }

  /** Apply one update from gradients by parameter name (missing = zero). Disposes nothing it was given. */
  apply(grads: Map<string, Tensor>): void {
    const tf = this.tf;
    const [b1, b2] = this.options.betas;
    this.step += 1;
    const bc1 = 1 - b1 ** this.step;
    const bc2 = 1 - b2 ** this.step;
    const stepSize = this.options.lr / bc1;
    tf.tidy(() => {
      for (const [name, p] of this.ps.params) {
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        const g = grads.get(name);
        if (g === undefined) {
          v.assign(tf.mul(v, b2));
          if (b1 !== 0) m.assign(tf.mul(m, b1));
          else m.assign(tf.zerosLike(m));
        } else {
          m.assign(b1 === 0 ? g : tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1)));
          v.assign(tf.add(tf.mul(v, b2), tf.mul(tf.square(g), 1 - b2)));
        }
        const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(bc2)), this.options.eps);
        p.assign(tf.sub(p, tf.mul(tf.div(m, denom), stepSize)));
      }
    });
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
  }
}

/** Adam as torch.optim.Adam computes it (bias corrections), missing gradients as zero. */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTf } from '@dermagan/tf';
import { Adam } from './adam.ts';
import { ParamSet } from './params.ts';
import { Rng } from './rng.ts';
import type { Tf } from './tf-types.ts';

let tf: Tf;
beforeAll(async () => {
  tf = (await loadTf()).tf;
});

describe('Adam', () => {
  it('two steps match the torch formula (β1 0.5, β2 0.9, lr 0.1)', () => {
    const ps = new ParamSet(tf, new Rng(0));
    const p = ps.constant('p', [2], 1);
    const opt = new Adam(tf, ps, { lr: 0.1, betas: [0.5, 0.9], eps: 1e-8 });
    const grads = [
      [0.2, -1],
      [0.4, 3],
    ];
    let m = [0, 0];
    let v = [0, 0];
    let x = [1, 1];
    grads.forEach((g, t) => {
      opt.apply(new Map([['p', tf.tensor1d(g)]]));
      m = m.map((mi, i) => 0.5 * mi + 0.5 * g[i]!);
      v = v.map((vi, i) => 0.9 * vi + 0.1 * g[i]! ** 2);
      const bc1 = 1 - 0.5 ** (t + 1);
      const bc2 = 1 - 0.9 ** (t + 1);
      x = x.map((xi, i) => xi - (0.1 / bc1) * (m[i]! / (Math.sqrt(v[i]!) / Math.sqrt(bc2) + 1e-8)));
    });
    Array.from(p.dataSync()).forEach((val, i) => expect(val).toBeCloseTo(x[i]!, 6));
    expect(opt.step).toBe(2);
  });
  it('a parameter without a gradient is left in place and its second moment decays', () => {
    const ps = new ParamSet(tf, new Rng(0));
    const p = ps.constant('p', [1], 1);
    const opt = new Adam(tf, ps, { lr: 0.1, betas: [0, 0.99], eps: 1e-8 });
    opt.apply(new Map([['p', tf.tensor1d([2])]]));
    const after1 = p.dataSync()[0]!;
    const v1 = opt.v.get('p')!.dataSync()[0]!;
    opt.apply(new Map());
    expect(p.dataSync()[0]).toBe(after1);
    expect(opt.v.get('p')!.dataSync()[0]).toBeCloseTo(v1 * 0.99, 8);
  });
});

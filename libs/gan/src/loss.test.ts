/**
 * R1 and path-length regularisers against central finite differences on a tiny network (16²,
 * ≤16 channels): the analytic gradient along a random direction v of all parameters must match
 * (L(θ + εv) − L(θ − εv)) / 2ε. This checks the second-order autodiff (zero gradients for the
 * comparison ops, the depthwise-conv input gradient's gradient) end to end.
 *
 * The regulariser checks run with 'smooth-lrelu': through leaky ReLU, ∇ₓD is piecewise constant
 * in the weights and jumps wherever a unit flips sign, so finite differences of ‖∇ₓD‖² do not
 * converge for any ε (lrelu's own second-order part is the zero gradient of its mask).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTf } from '@dermagan/tf';
import { preset, type GanConfig } from './config.ts';
import { Discriminator } from './discriminator.ts';
import { Generator } from './generator.ts';
import { StyleGAN2Loss, type Phase, type PhaseInputs } from './loss.ts';
import { registerEngineGradients } from './ops/register-gradients.ts';
import type { ParamSet } from './params.ts';
import { Rng } from './rng.ts';
import type { Tensor, Tensor2D, Tensor4D, Tf } from './tf-types.ts';

let tf: Tf;
beforeAll(async () => {
  tf = (await loadTf()).tf;
  registerEngineGradients(tf);
});

function setup(cDim: number, activation: 'lrelu' | 'smooth-lrelu' = 'smooth-lrelu'): { cfg: GanConfig; G: Generator; D: Discriminator; loss: StyleGAN2Loss; rng: Rng } {
  const cfg = preset('test', 16);
  cfg.network.cDim = cDim;
  cfg.network.activation = activation;
  cfg.network.convClamp = undefined; // clamp is piecewise: keep FD away from its kinks
  const G = new Generator(tf, cfg.network, 11);
  const D = new Discriminator(tf, cfg.network, 12);
  const rng = new Rng(13);
  return { cfg, G, D, loss: new StyleGAN2Loss(tf, G, D, cfg.training, rng), rng };
}

/** Perturb every parameter by `eps · v`. */
function shift(ps: ParamSet, dirs: Map<string, Float32Array>, eps: number): void {
  for (const [name, p] of ps.params) {
    const d = dirs.get(name)!;
    const cur = p.dataSync() as Float32Array;
    p.assign(tf.tensor(cur.map((x, i) => x + eps * d[i]!), p.shape));
  }
}

/** Directional derivative: analytic (from the phase's gradients) vs central differences. */
function checkDirectional(phase: Phase, inputs: PhaseInputs, ps: ParamSet, loss: StyleGAN2Loss, rng: Rng, eps: number): { analytic: number; numeric: number } {
  const dirRng = new Rng(99);
  const dirs = new Map([...ps.params].map(([name, p]) => [name, dirRng.normal(p.size)]));
  const rngState = rng.getState();
  const plMean = loss.plMean;
  const evaluate = () => {
    rng.setState(rngState);
    loss.plMean = plMean;
    const r = loss.accumulateGradients(phase, inputs);
    return r;
  };
  const r0 = evaluate();
  let analytic = 0;
  for (const [name, g] of r0.grads) {
    const gv = g.dataSync();
    const d = dirs.get(name)!;
    for (let i = 0; i < gv.length; i++) analytic += gv[i]! * d[i]!;
    g.dispose();
  }
  const key = `Loss/${phase}/total`;
  shift(ps, dirs, eps);
  const up = evaluate();
  shift(ps, dirs, -2 * eps);
  const down = evaluate();
  shift(ps, dirs, eps);
  for (const r of [up, down]) for (const g of r.grads.values()) g.dispose();
  return { analytic, numeric: (up.stats[key]! - down.stats[key]!) / (2 * eps) };
}

describe('R1 (Dreg)', () => {
  it('∇ₓD matches finite differences in x (first order)', () => {
    const { D } = setup(0, 'lrelu');
    const rng = new Rng(5);
    const x = tf.tensor4d(rng.normal(4 * 16 * 16 * 3, 0.5), [4, 16, 16, 3]);
    const v = tf.tensor4d(rng.normal(4 * 16 * 16 * 3), [4, 16, 16, 3]);
    const g = tf.grad((img: Tensor) => tf.sum(D.apply(img as Tensor4D, undefined)))(x);
    const analytic = tf.sum(tf.mul(g, v)).dataSync()[0]!;
    const eps = 1e-3;
    const f = (s: number) => tf.sum(D.apply(tf.add(x, tf.mul(v, s)) as Tensor4D, undefined)).dataSync()[0]!;
    const numeric = (f(eps) - f(-eps)) / (2 * eps);
    expect(Math.abs(analytic - numeric)).toBeLessThan(0.01 * Math.abs(numeric));
  });

  for (const cDim of [0, 2]) {
    it(`gradient of (γ/2)‖∇ₓD‖² w.r.t. D's weights matches finite differences (cDim=${cDim})`, () => {
      const { D, loss, cfg } = setup(cDim);
      cfg.training.r1Gamma = 10;
      const rng = new Rng(6);
      const realImg = tf.tensor4d(rng.normal(4 * 16 * 16 * 3, 0.5), [4, 16, 16, 3]);
      const c = cDim > 0 ? (tf.oneHot(tf.tensor1d([0, 1, 1, 0], 'int32'), 2).toFloat() as Tensor2D) : undefined;
      const genZ = tf.tensor2d(rng.normal(4 * cfg.network.zDim), [4, cfg.network.zDim]);
      const { analytic, numeric } = checkDirectional('Dreg', { realImg, ...(c ? { realC: c } : {}), genZ, gain: 16 }, D.ps, loss, loss.rng, 1e-3);
      expect(Math.abs(numeric)).toBeGreaterThan(1e-4); // the check is not vacuous
      expect(Math.abs(analytic - numeric)).toBeLessThan(0.01 * Math.abs(numeric));
    });
  }

  it('Dboth = Dmain + R1 in one pass: same total as the two phases', () => {
    const { loss, cfg } = setup(0);
    const rng = new Rng(8);
    const realImg = tf.tensor4d(rng.normal(4 * 16 * 16 * 3, 0.5), [4, 16, 16, 3]);
    const genZ = tf.tensor2d(rng.normal(4 * cfg.network.zDim), [4, cfg.network.zDim]);
    const state = loss.rng.getState();
    const both = loss.accumulateGradients('Dboth', { realImg, genZ });
    loss.rng.setState(state);
    const main = loss.accumulateGradients('Dmain', { realImg, genZ });
    const reg = loss.accumulateGradients('Dreg', { realImg, genZ, gain: 1 });
    expect(both.stats['Loss/Dboth/total']).toBeCloseTo(main.stats['Loss/Dmain/total']! + reg.stats['Loss/Dreg/total']!, 5);
    for (const r of [both, main, reg]) for (const g of r.grads.values()) g.dispose();
  });
});

describe('path length (Greg)', () => {
  it('gradient of pl_weight·(‖J_wᵀy‖ − a)² w.r.t. G matches finite differences', () => {
    const { G, loss, cfg } = setup(0);
    loss.plMean = 0.05;
    const rng = new Rng(7);
    const genZ = tf.tensor2d(rng.normal(4 * cfg.network.zDim), [4, cfg.network.zDim]);
    // Non-zero noise strengths so the noise inputs' path is exercised too.
    for (const [name, p] of G.ps.params) if (name.endsWith('noise_strength')) p.assign(tf.scalar(0.1));
    const { analytic, numeric } = checkDirectional('Greg', { genZ, gain: 4 }, G.ps, loss, loss.rng, 1e-3);
    expect(Math.abs(numeric)).toBeGreaterThan(1e-4);
    expect(Math.abs(analytic - numeric)).toBeLessThan(0.01 * Math.abs(numeric));
  });

  it('updates pl_mean by decay 0.01 toward the batch mean length', () => {
    const { loss, cfg } = setup(0);
    const genZ = tf.tensor2d(new Rng(3).normal(4 * cfg.network.zDim), [4, cfg.network.zDim]);
    loss.plMean = 0;
    const r = loss.accumulateGradients('Greg', { genZ, gain: 4 });
    for (const g of r.grads.values()) g.dispose();
    expect(loss.plMean).toBeGreaterThan(0);
    expect(loss.plMean).toBe(r.stats['pl_mean']);
  });
});

describe('non-finite losses', () => {
  it('a NaN weight makes Gmain throw NonFiniteLossError, naming the phase and what to do', () => {
    const { G, loss, cfg } = setup(0);
    const w = G.ps.params.get('b16.torgb.bias')!;
    w.assign(tf.fill(w.shape, NaN));
    const genZ = tf.tensor2d(new Rng(3).normal(4 * cfg.network.zDim), [4, cfg.network.zDim]);
    expect(() => loss.accumulateGradients('Gmain', { genZ })).toThrow(/Gmain: the loss is not finite.*resume from the last checkpoint/);
  });
});

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Tensor4D } from '@tensorflow/tfjs-core';
import { loadTf, runOnBackend, type Tf } from '@dermagan/tf';
import { probeAugment } from './augment/backend-probe.ts';
import { colorMatrix, geometricInverse, isIdentity } from './augment/matrices.ts';
import { decodeNpy } from '@dermagan/npy';
import {
  AugmentOptionsError,
  IDENTITY_PARAMS,
  augmentWithParams,
  createAugmentPipe,
  identityParams,
  type AugmentSampleParams,
} from './augment.ts';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'augment');
interface FixtureCase {
  input: string;
  output: string;
  params: AugmentSampleParams[];
}
const CASES = JSON.parse(readFileSync(join(FIXTURES, 'cases.json'), 'utf8')) as Record<string, FixtureCase>;

let tf: Tf;
beforeAll(async () => {
  ({ tf } = await loadTf());
});

function npyTensor(file: string): Tensor4D {
  const a = decodeNpy(readFileSync(join(FIXTURES, file)), file);
  return tf.tensor4d(a.data as Float32Array, a.shape as [number, number, number, number]);
}

function maxAbsDiff(a: Tensor4D, b: Tensor4D): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

describe('augmentWithParams against the numpy reference (libs/gan/fixtures/make_augment.py)', () => {
  for (const [name, c] of Object.entries(CASES)) {
    it(`${name}: ${c.input} → ${c.output} within 1e-5`, () => {
      const x = npyTensor(c.input);
      const want = npyTensor(c.output);
      const got = augmentWithParams(tf, x, c.params, { alwaysExecute: true });
      expect(got.shape).toEqual(x.shape);
      expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
      tf.dispose([x, want, got]);
    });
  }
});

/** Deterministic images in [-1, 1] with structure (not constant), [n, h, w, c]. */
function images(n: number, h: number, w: number, c = 3, seed = 1): Tensor4D {
  return tf.tidy(() => tf.clipByValue(tf.randomNormal([n, h, w, c], 0, 0.5, 'float32', seed), -1, 1) as Tensor4D);
}

/** One record per transform with only that transform away from its identity value. */
const SINGLE: Record<string, Partial<AugmentSampleParams>> = {
  xflip: { xflip: 1 },
  rotate90: { rotate90: 1 },
  xint: { xint: [0.125, -0.0625] },
  scale: { scale: 1.3 },
  rotatePre: { rotatePre: 0.7 },
  aniso: { aniso: 0.8 },
  rotatePost: { rotatePost: -2.1 },
  xfrac: { xfrac: [0.04, -0.07] },
  brightness: { brightness: 0.3 },
  contrast: { contrast: 1.6 },
  lumaflip: { lumaflip: 1 },
  hue: { hue: 1.1 },
  saturation: { saturation: 0.4 },
};
const single = (k: string): AugmentSampleParams => ({ ...identityParams(), ...SINGLE[k] });

describe('identity', () => {
  it('pipe bgc at p = 0 returns the input bit for bit (both passes skipped) as a new tensor', () => {
    const pipe = createAugmentPipe(tf, { pipe: 'bgc', p: 0, seed: 3 });
    const x = images(4, 16, 16);
    const y = pipe.augment(x);
    expect(y).not.toBe(x);
    expect(Array.from(y.dataSync())).toEqual(Array.from(x.dataSync()));
    tf.dispose([x, y]);
  });

  it('the geometric pass executed at the identity matrix changes pixels by interpolation round-off only (< 1e-5)', () => {
    const x = images(2, 16, 12);
    const y = augmentWithParams(tf, x, [identityParams(), identityParams()], { alwaysExecute: true });
    expect(maxAbsDiff(x, y)).toBeLessThan(1e-5);
    tf.dispose([x, y]);
  });

  it("pipe 'noaug' at p = 1 is the identity and draws nothing", () => {
    const pipe = createAugmentPipe(tf, { pipe: 'noaug', p: 1, seed: 3 });
    const before = pipe.getState();
    const x = images(2, 8, 8);
    const y = pipe.augment(x);
    expect(maxAbsDiff(x, y)).toBe(0);
    expect(pipe.getState()).toEqual(before);
    tf.dispose([x, y]);
  });
});

describe('gradients with respect to the images', () => {
  for (const k of Object.keys(SINGLE)) {
    it(`${k}: the gradient exists, is finite, and is the adjoint of the (affine) pipe`, () => {
      const x = images(2, 12, 12, 3, 7);
      const v = images(2, 12, 12, 3, 8);
      const w = images(2, 12, 12, 3, 9);
      const params = [single(k), identityParams()];
      const f = (img: Tensor4D) => tf.sum(tf.mul(augmentWithParams(tf, img, params), w));
      const g = tf.grad((img) => f(img as Tensor4D))(x);
      const gv = g.dataSync();
      expect(gv.every(Number.isFinite)).toBe(true);
      expect(Math.max(...Array.from(gv, Math.abs))).toBeGreaterThan(1e-3);
      // The pipe is affine in the image: ⟨∇f, v⟩ = f(x + v) − f(x) up to float round-off.
      const lhs = tf.sum(tf.mul(g, v)).dataSync()[0]!;
      const rhs = tf.sub(f(tf.add(x, v) as Tensor4D), f(x)).dataSync()[0]!;
      expect(Math.abs(lhs - rhs)).toBeLessThan(1e-3 * Math.max(1, Math.abs(rhs)));
      tf.dispose([x, v, w, g]);
    });
  }

  it('second order (R1 through the pipe): ∇_k ‖∇_x D(aug(x))‖² exists and matches a finite difference', () => {
    const x = images(2, 12, 12, 3, 11);
    const params = [{ ...single('rotatePre'), scale: 1.2, brightness: 0.1, hue: 0.5 }, single('xfrac')];
    const k = tf.variable(tf.randomNormal([3, 3, 3, 2], 0, 0.3, 'float32', 12));
    const r1 = () =>
      tf.tidy(() => {
        // softplus: smooth (finite differences need no kinks) and its gradient reads its input, not its output
        const gx = tf.grad((img) => tf.sum(tf.softplus(tf.conv2d(augmentWithParams(tf, img as Tensor4D, params), k as never, 1, 'same'))))(x);
        return tf.sum(tf.square(gx)) as never;
      });
    const { value, grads } = tf.variableGrads(r1, [k]);
    const gk = grads[k.name]!;
    expect(gk.dataSync().every(Number.isFinite)).toBe(true);
    const dir = tf.randomNormal(k.shape, 0, 1, 'float32', 13);
    const eps = 3e-3;
    const base = k.clone();
    k.assign(tf.add(base, tf.mul(dir, eps)));
    const plus = (r1() as unknown as Tensor4D).dataSync()[0]!;
    k.assign(tf.sub(base, tf.mul(dir, eps)));
    const minus = (r1() as unknown as Tensor4D).dataSync()[0]!;
    const fd = (plus - minus) / (2 * eps);
    const analytic = tf.sum(tf.mul(gk, dir)).dataSync()[0]!;
    expect(Math.abs(analytic - fd)).toBeLessThan(2e-2 * Math.max(1, Math.abs(fd)));
    expect(value.dataSync()[0]).toBeGreaterThan(0);
    tf.dispose([x, k, gk, dir, base, value]);
  });
});

describe('probabilities', () => {
  const N = 2000;
  /** Fraction of samples where `fired` holds, for a pipe with only `mult` enabled. */
  const fraction = (mult: string, p: number, fired: (q: AugmentSampleParams) => boolean, seed = 1) => {
    const pipe = createAugmentPipe(tf, { pipe: 'noaug', [mult]: 1, p, seed });
    return pipe.sampleParams(N, 3).filter(fired).length / N;
  };
  const differs = (k: keyof AugmentSampleParams) => (q: AugmentSampleParams) => JSON.stringify(q[k]) !== JSON.stringify(IDENTITY_PARAMS[k]);
  // Probability that the drawn value is not its identity value when the transform fires.
  const CASES: [string, (q: AugmentSampleParams) => boolean, number][] = [
    ['xflip', differs('xflip'), 0.5],
    ['rotate90', differs('rotate90'), 0.75],
    ['xint', differs('xint'), 1],
    ['scale', differs('scale'), 1],
    ['rotate', (q) => q.rotatePre !== 0 || q.rotatePost !== 0, 1],
    ['aniso', differs('aniso'), 1],
    ['xfrac', differs('xfrac'), 1],
    ['brightness', differs('brightness'), 1],
    ['contrast', differs('contrast'), 1],
    ['lumaflip', differs('lumaflip'), 0.5],
    ['hue', differs('hue'), 1],
    ['saturation', differs('saturation'), 1],
  ];
  for (const [mult, fired, q] of CASES) {
    for (const p of [1, 0.5, 0]) {
      const expected = p * q;
      it(`${mult} at p = ${p}: a fraction ≈ ${expected} of ${N} samples is transformed (±4.5σ)`, () => {
        const sigma = Math.sqrt((expected * (1 - expected)) / N);
        expect(Math.abs(fraction(mult, p, fired) - expected)).toBeLessThanOrEqual(4.5 * sigma + 1e-12);
      });
    }
  }

  it('rotate: pre and post each fire with probability 1 − √(1 − p)', () => {
    const pipe = createAugmentPipe(tf, { pipe: 'noaug', rotate: 1, p: 0.5, seed: 5 });
    const qs = pipe.sampleParams(N, 3);
    const pr = 1 - Math.sqrt(0.5);
    const sigma = Math.sqrt((pr * (1 - pr)) / N);
    expect(Math.abs(qs.filter((q) => q.rotatePre !== 0).length / N - pr)).toBeLessThan(4.5 * sigma);
    expect(Math.abs(qs.filter((q) => q.rotatePost !== 0).length / N - pr)).toBeLessThan(4.5 * sigma);
  });

  it('values follow the reference strengths (scale: log2 std 0.2, brightness std 0.2, hue U(±π))', () => {
    const pipe = createAugmentPipe(tf, { pipe: 'bgc', p: 1, seed: 9 });
    const qs = pipe.sampleParams(N, 3);
    const std = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length);
    expect(std(qs.map((q) => Math.log2(q.scale)))).toBeCloseTo(0.2, 1);
    expect(std(qs.map((q) => q.brightness))).toBeCloseTo(0.2, 1);
    expect(std(qs.map((q) => Math.log2(q.contrast)))).toBeCloseTo(0.5, 1);
    expect(Math.max(...qs.map((q) => Math.abs(q.hue)))).toBeLessThanOrEqual(Math.PI);
    expect(Math.max(...qs.map((q) => Math.abs(q.xint[0])))).toBeLessThanOrEqual(0.125);
  });

  it('at p = 1 every transform changes the image of each sample it fires on, and only those', () => {
    const x = images(8, 16, 16, 3, 21);
    for (const [mult] of CASES) {
      const pipe = createAugmentPipe(tf, { pipe: 'noaug', [mult]: 1, p: 1, seed: 4 });
      const before = pipe.getState();
      const params = pipe.sampleParams(8, 3);
      pipe.setState(before);
      const y = pipe.augment(x);
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(x, y)), [1, 2, 3]).dataSync());
      params.forEach((q, i) => {
        // Effective = the composed matrices differ from the identity (xint can round to 0 px).
        const effective = !isIdentity(geometricInverse(q, 16, 16), 3) || !isIdentity(colorMatrix(q), 4);
        if (effective) expect(diff[i], `${mult} sample ${i}`).toBeGreaterThan(1e-2);
        else expect(diff[i], `${mult} sample ${i}`).toBeLessThan(1e-5);
      });
      y.dispose();
    }
    x.dispose();
  });
});

describe('randomness and state', () => {
  it('getState/setState replays the same augmentations (checkpoint resume)', () => {
    const x = images(3, 12, 12);
    const a = createAugmentPipe(tf, { pipe: 'bgc', p: 0.7, seed: 42 });
    a.augment(x).dispose();
    const saved = JSON.parse(JSON.stringify(a.getState()));
    const next = a.augment(x);
    const b = createAugmentPipe(tf, { pipe: 'bgc', seed: 0 });
    b.setState(saved);
    expect(b.p).toBe(0.7);
    const again = b.augment(x);
    expect(Array.from(again.dataSync())).toEqual(Array.from(next.dataSync()));
    tf.dispose([x, next, again]);
  });

  it('draws the same number of random values whatever p is', () => {
    const states = [0, 0.3, 1].map((p) => {
      const pipe = createAugmentPipe(tf, { pipe: 'bgc', p, seed: 8 });
      pipe.sampleParams(5, 3);
      return pipe.getState().random;
    });
    expect(states[1]).toEqual(states[0]);
    expect(states[2]).toEqual(states[0]);
  });

  it('different seeds give different parameters; the same seed the same', () => {
    const draw = (seed: number) => createAugmentPipe(tf, { pipe: 'bgc', p: 1, seed }).sampleParams(4, 3);
    expect(draw(1)).toEqual(draw(1));
    expect(draw(1)).not.toEqual(draw(2));
  });

  it('leaves no tensors behind but its output', () => {
    const x = images(2, 16, 16);
    const pipe = createAugmentPipe(tf, { pipe: 'bgc', p: 1, seed: 1 });
    const before = tf.memory().numTensors;
    const y = pipe.augment(x);
    expect(tf.memory().numTensors).toBe(before + 1);
    tf.dispose([x, y]);
  });
});

describe('errors', () => {
  it('rejects NCHW or non-RGB/L input, int tensors, wrong parameter counts, bad p and bad pipes', () => {
    const pipe = createAugmentPipe(tf, { pipe: 'bgc', p: 0.5 });
    const nchw = tf.zeros([2, 3, 16, 16]) as Tensor4D;
    expect(() => pipe.augment(nchw)).toThrow(/C = 16.*NHWC/);
    const ints = tf.zeros([2, 8, 8, 3], 'int32') as Tensor4D;
    expect(() => pipe.augment(ints)).toThrow(AugmentOptionsError);
    const x = tf.zeros([2, 8, 8, 3]) as Tensor4D;
    expect(() => augmentWithParams(tf, x, [identityParams()])).toThrow(/expected 2 parameter records/);
    expect(() => (pipe.p = -0.1)).toThrow(/p must be/);
    expect(() => (pipe.p = Number.NaN)).toThrow(/p must be/);
    expect(() => createAugmentPipe(tf, { pipe: 'bgcfn' as never })).toThrow(/one of/);
    expect(() => createAugmentPipe(tf, { pipe: 'bg', scaleStd: -1 })).toThrow(/scaleStd/);
    expect(() => pipe.setState({ p: 0.1, random: [0, 0, 0, 0] })).toThrow(/not all zero/);
    tf.dispose([nchw, ints, x]);
  });
});

describe('on the wasm fallback backend (child process)', () => {
  it("case 'all': same output and same image gradient as native TF within 1e-5", async () => {
    const probe = join(dirname(fileURLToPath(import.meta.url)), 'augment', 'backend-probe.ts');
    const { result } = await runOnBackend<{ backend: string; output: number[]; grad: number[] }>('wasm', probe);
    expect(result.backend).toBe('wasm');
    const native = probeAugment(tf);
    const worst = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
    expect(result.output).toHaveLength(native.output.length);
    expect(worst(result.output, native.output)).toBeLessThan(1e-5);
    expect(worst(result.grad, native.grad)).toBeLessThan(1e-5);
    expect(Math.max(...native.grad.map(Math.abs))).toBeGreaterThan(0.1);
  });
});

/**
 * The ADA augment pipe (Karras et al. 2020, arXiv:2006.06676): every image the discriminator
 * sees — reals and fakes, in every D call — goes through it, differentiably, so that gradients
 * reach G (Gmain) and the real images (R1).
 *
 * Layout: images are float32 NHWC [N, H, W, C] in [-1, 1] (tfjs's native layout, not the
 * reference's NCHW), C = 3 (RGB) or 1; the output has the same shape. Non-square images work.
 *
 * Execution per call: draw per-sample parameters on the CPU (see ./augment/params.ts for the
 * draw order), compose one 3×3 inverse geometric matrix and one 4×4 colour matrix per sample,
 * then run the geometric pass once (reflect pad, ×2 sym6 upsample, bilinear resampling via flat
 * gather, ×2 sym6 downsample, crop) and the colour pass once. A pass whose matrices are all the
 * identity is skipped: at p = 0 the pipe is exactly the identity (the reference would still run
 * the geometric pass at identity, which changes pixels by float rounding only).
 *
 * RNG contract (checkpoints): the pipe owns its random stream — a {@link SeededRandom} from
 * `options.seed`, or the `AugmentRandom` the caller passes as `options.random`. Each `augment()`
 * call consumes a number of draws that depends only on the batch size, the channel count and the
 * pipe's enabled transforms, never on p or on the images. `getState()` returns
 * `{ p, random }`; put it in the checkpoint and `setState()` it after loading, and the next
 * `augment()` draws exactly what it would have drawn without the interruption. The engine sets
 * `pipe.p` from the {@link AdaController} (./ada.ts) after each ADA update.
 */
import type { Tensor4D } from '@tensorflow/tfjs-core';
import type { Tf } from '@dermagan/tf';
import { applyColor } from './augment/color.ts';
import { applyGeometric } from './augment/geometric.ts';
import { colorMatrix, geometricInverse, isIdentity } from './augment/matrices.ts';
import {
  DEFAULT_STRENGTHS,
  PIPE_MULTIPLIERS,
  sampleAugmentParams,
  type AugmentMultipliers,
  type AugmentPipeName,
  type AugmentSampleParams,
  type AugmentStrengths,
} from './augment/params.ts';
import { SeededRandom, type AugmentRandom, type RandomState } from './augment/random.ts';

export { DEFAULT_STRENGTHS, IDENTITY_PARAMS, PIPE_MULTIPLIERS, identityParams, sampleAugmentParams } from './augment/params.ts';
export type { AugmentMultipliers, AugmentPipeName, AugmentSampleParams, AugmentStrengths } from './augment/params.ts';
export { SeededRandom } from './augment/random.ts';
export type { AugmentRandom, RandomState } from './augment/random.ts';

export interface AugmentPipeOptions extends Partial<AugmentMultipliers>, Partial<AugmentStrengths> {
  /** Which transforms are enabled (multiplier 1); a multiplier given below overrides its entry. */
  pipe: AugmentPipeName;
  /** Initial augmentation probability, ≥ 0 (undefined = 0, as ADA starts). Mutable via `pipe.p`. */
  p?: number;
  /** Seed of the pipe's own random stream (undefined = 0). Ignored when `random` is given. */
  seed?: number;
  /** A caller-owned random stream to draw from instead (its state is in `getState()` too). */
  random?: AugmentRandom;
}

/** What a checkpoint stores of the pipe. */
export interface AugmentPipeState {
  /** Current augmentation probability. */
  p: number;
  /** State of the random stream. */
  random: RandomState;
}

export class AugmentOptionsError extends Error {
  override readonly name = 'AugmentOptionsError';
  readonly retriable = false;
}

export interface AugmentPipe {
  /** Augmentation probability; setting it validates (finite, ≥ 0). */
  p: number;
  /** Probability multipliers in effect. */
  readonly multipliers: Readonly<AugmentMultipliers>;
  /** Strengths in effect. */
  readonly strengths: Readonly<AugmentStrengths>;
  /** Draw parameters for a batch and apply them: [N, H, W, C] → same shape (a new tensor). */
  augment(images: Tensor4D): Tensor4D;
  /** Draw parameters only (advances the stream exactly as `augment` would). */
  sampleParams(batch: number, channels: number): AugmentSampleParams[];
  getState(): AugmentPipeState;
  setState(state: AugmentPipeState): void;
}

const PIPES = Object.keys(PIPE_MULTIPLIERS) as AugmentPipeName[];

function checkP(p: number, where: string): number {
  if (!Number.isFinite(p) || p < 0) throw new AugmentOptionsError(`${where}: p must be a finite number ≥ 0, got ${p}`);
  return p;
}

function checkImages(images: Tensor4D, where: string): void {
  if (images.rank !== 4 || images.dtype !== 'float32') {
    throw new AugmentOptionsError(`${where}: expected a float32 NHWC batch [N, H, W, C], got ${images.dtype} [${images.shape.join(', ')}]`);
  }
  const c = images.shape[3];
  if (c !== 1 && c !== 3) {
    throw new AugmentOptionsError(`${where}: images must be RGB or L (C = 3 or 1 in NHWC), got C = ${c} (shape [${images.shape.join(', ')}]); transpose NCHW input to NHWC`);
  }
}

/**
 * Apply explicit per-sample parameters (the deterministic mode; no randomness): geometric pass,
 * then colour pass. `alwaysExecute` runs a pass even when all its matrices are the identity.
 */
export function augmentWithParams(
  tf: Tf,
  images: Tensor4D,
  params: readonly AugmentSampleParams[],
  opts: { alwaysExecute?: boolean } = {},
): Tensor4D {
  checkImages(images, 'augmentWithParams');
  const [n, h, w] = images.shape;
  if (params.length !== n) throw new AugmentOptionsError(`augmentWithParams: expected ${n} parameter records (one per image), got ${params.length}`);
  const gInv = params.map((q) => geometricInverse(q, w, h));
  const cMat = params.map(colorMatrix);
  return tf.tidy(() => {
    let x = images;
    if (opts.alwaysExecute || !gInv.every((g) => isIdentity(g, 3))) x = applyGeometric(tf, x, gInv);
    if (opts.alwaysExecute || !cMat.every((c) => isIdentity(c, 4))) x = applyColor(tf, x, cMat);
    return x === images ? tf.clone(images) : x;
  });
}

/** Create an augment pipe. `tf` comes from `loadTf()` of @dermagan/tf. */
export function createAugmentPipe(tf: Tf, options: AugmentPipeOptions): AugmentPipe {
  if (!PIPES.includes(options.pipe)) {
    throw new AugmentOptionsError(`createAugmentPipe: pipe must be one of ${PIPES.join(', ')}, got "${String(options.pipe)}"`);
  }
  const multipliers = { ...PIPE_MULTIPLIERS[options.pipe] };
  for (const k of Object.keys(multipliers) as (keyof AugmentMultipliers)[]) {
    const v = options[k];
    if (v === undefined) continue;
    if (!Number.isFinite(v) || v < 0) throw new AugmentOptionsError(`createAugmentPipe: multiplier ${k} must be ≥ 0, got ${v}`);
    multipliers[k] = v;
  }
  const strengths = { ...DEFAULT_STRENGTHS };
  for (const k of Object.keys(strengths) as (keyof AugmentStrengths)[]) {
    const v = options[k];
    if (v === undefined) continue;
    if (!Number.isFinite(v) || v < 0) throw new AugmentOptionsError(`createAugmentPipe: ${k} must be ≥ 0, got ${v}`);
    strengths[k] = v;
  }
  const random = options.random ?? new SeededRandom(options.seed ?? 0);
  let p = checkP(options.p ?? 0, 'createAugmentPipe');

  const pipe: AugmentPipe = {
    get p() {
      return p;
    },
    set p(value: number) {
      p = checkP(value, 'AugmentPipe.p');
    },
    multipliers: Object.freeze(multipliers),
    strengths: Object.freeze(strengths),
    sampleParams(batch, channels) {
      return sampleAugmentParams(random, batch, channels, p, multipliers, strengths);
    },
    augment(images) {
      checkImages(images, 'AugmentPipe.augment');
      const params = pipe.sampleParams(images.shape[0], images.shape[3]);
      return augmentWithParams(tf, images, params);
    },
    getState() {
      return { p, random: random.getState() };
    },
    setState(state) {
      p = checkP(state.p, 'AugmentPipe.setState');
      random.setState(state.random);
    },
  };
  return pipe;
}

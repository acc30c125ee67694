/**
 * ADA augmentation parameters: the pipes, their probability multipliers and strengths, and the
 * per-sample draw (Karras et al. 2020, "Training Generative Adversarial Networks with Limited
 * Data", appendix B; constants as in NVlabs stylegan2-ada-pytorch `training/augment.py`).
 *
 * Each transform fires independently per sample with probability `multiplier · p`; arbitrary
 * rotation is drawn twice, before and after anisotropic scaling, each with probability
 * 1 − √(1 − rotate · p), so that P(pre or post) = rotate · p.
 *
 * Random-draw order (fixed, independent of p, so that a stream replays identically): for each
 * enabled transform in the order below, first the values for all samples, then one gate per
 * sample (`uniform() < multiplier · p`). Two-component transforms (xint, xfrac) draw x and y per
 * sample, then the gates. Hue and saturation draw nothing for 1-channel images.
 */
import type { AugmentPipeName } from '@dermagan/contracts';
import type { AugmentRandom } from './random.ts';

/** The named pipes of the reference ('bgc' is ADA's default; 'bg' is the study's no-colour variant): the options' list. */
export type { AugmentPipeName };

/** Probability multipliers per transform: 0 = never, 1 = with probability p. */
export interface AugmentMultipliers {
  /** x-flip (pixel blitting). */
  xflip: number;
  /** Rotation by a multiple of 90° (pixel blitting). */
  rotate90: number;
  /** Integer translation (pixel blitting). */
  xint: number;
  /** Isotropic scaling (general geometric). */
  scale: number;
  /** Arbitrary rotation, before and after anisotropic scaling (general geometric). */
  rotate: number;
  /** Anisotropic scaling (general geometric). */
  aniso: number;
  /** Fractional translation (general geometric). */
  xfrac: number;
  /** Additive brightness (colour). */
  brightness: number;
  /** Multiplicative contrast (colour). */
  contrast: number;
  /** Luma flip: Householder reflection about the grey axis, half of the time it fires (colour). */
  lumaflip: number;
  /** Hue rotation about the grey axis (colour; RGB only). */
  hue: number;
  /** Saturation: scaling orthogonal to the grey axis (colour; RGB only). */
  saturation: number;
}

/** Strengths of the transforms (the reference's defaults in {@link DEFAULT_STRENGTHS}). */
export interface AugmentStrengths {
  /** Range of integer translation, relative to the image size: U(±xintMax). */
  xintMax: number;
  /** Log2 standard deviation of isotropic scaling. */
  scaleStd: number;
  /** Range of arbitrary rotation, 1 = full circle (U(±π·rotateMax)). */
  rotateMax: number;
  /** Log2 standard deviation of anisotropic scaling. */
  anisoStd: number;
  /** Standard deviation of fractional translation, relative to the image size. */
  xfracStd: number;
  /** Standard deviation of additive brightness (image units, images in [-1, 1]). */
  brightnessStd: number;
  /** Log2 standard deviation of contrast. */
  contrastStd: number;
  /** Range of hue rotation, 1 = full circle. */
  hueMax: number;
  /** Log2 standard deviation of saturation. */
  saturationStd: number;
}

export const DEFAULT_STRENGTHS: Readonly<AugmentStrengths> = Object.freeze({
  xintMax: 0.125,
  scaleStd: 0.2,
  rotateMax: 1,
  anisoStd: 0.2,
  xfracStd: 0.125,
  brightnessStd: 0.2,
  contrastStd: 0.5,
  hueMax: 1,
  saturationStd: 1,
});

const NONE: AugmentMultipliers = Object.freeze({
  xflip: 0, rotate90: 0, xint: 0, scale: 0, rotate: 0, aniso: 0, xfrac: 0,
  brightness: 0, contrast: 0, lumaflip: 0, hue: 0, saturation: 0,
});
const BLIT = { xflip: 1, rotate90: 1, xint: 1 };
const GEOM = { scale: 1, rotate: 1, aniso: 1, xfrac: 1 };
const COLOR = { brightness: 1, contrast: 1, lumaflip: 1, hue: 1, saturation: 1 };

/** The multipliers of each named pipe (the reference's `augpipe_specs`). */
export const PIPE_MULTIPLIERS: Readonly<Record<AugmentPipeName, Readonly<AugmentMultipliers>>> = Object.freeze({
  noaug: NONE,
  blit: { ...NONE, ...BLIT },
  geom: { ...NONE, ...GEOM },
  color: { ...NONE, ...COLOR },
  bg: { ...NONE, ...BLIT, ...GEOM },
  bgc: { ...NONE, ...BLIT, ...GEOM, ...COLOR },
});

/**
 * The explicit parameters of one sample's augmentation; a transform that did not fire holds its
 * identity value (listed in {@link IDENTITY_PARAMS}). Angles in radians, translations relative
 * to the image size (x to the width, y to the height).
 */
export interface AugmentSampleParams {
  /** 1 = mirror horizontally. */
  xflip: 0 | 1;
  /** Counter-clockwise quarter turns in the reference's convention, 0–3. */
  rotate90: 0 | 1 | 2 | 3;
  /** Integer translation [x, y] before rounding to whole pixels (round(x·width), round(y·height)). */
  xint: [number, number];
  /** Isotropic scale factor. */
  scale: number;
  /** Rotation before anisotropic scaling. */
  rotatePre: number;
  /** Anisotropic scale: x by s, y by 1/s. */
  aniso: number;
  /** Rotation after anisotropic scaling. */
  rotatePost: number;
  /** Fractional translation [x, y]. */
  xfrac: [number, number];
  /** Added to every channel. */
  brightness: number;
  /** Multiplies every channel. */
  contrast: number;
  /** 1 = Householder reflection about the grey axis. */
  lumaflip: 0 | 1;
  /** Rotation about the grey axis. */
  hue: number;
  /** Scale orthogonal to the grey axis. */
  saturation: number;
}

export const IDENTITY_PARAMS: Readonly<AugmentSampleParams> = Object.freeze({
  xflip: 0, rotate90: 0, xint: [0, 0], scale: 1, rotatePre: 0, aniso: 1, rotatePost: 0, xfrac: [0, 0],
  brightness: 0, contrast: 1, lumaflip: 0, hue: 0, saturation: 1,
}) as Readonly<AugmentSampleParams>;

/** A fresh identity parameter record (safe to mutate). */
export function identityParams(): AugmentSampleParams {
  return { ...IDENTITY_PARAMS, xint: [0, 0], xfrac: [0, 0] };
}

/**
 * Draw the parameters for a batch, in the documented order.
 *
 * @param random    the stream to draw from (advanced by this call)
 * @param batch     number of samples
 * @param channels  image channels (1 or 3; hue and saturation need 3)
 * @param p         augmentation probability, ≥ 0
 */
export function sampleAugmentParams(
  random: AugmentRandom,
  batch: number,
  channels: number,
  p: number,
  mult: Readonly<AugmentMultipliers>,
  strength: Readonly<AugmentStrengths> = DEFAULT_STRENGTHS,
): AugmentSampleParams[] {
  const out = Array.from({ length: batch }, identityParams);
  const u = (): number => random.uniform();
  const n = (): number => random.normal();
  /** Draw one value per sample, then one gate per sample; keep the value where the gate fires. */
  const gated = <T>(m: number, prob: number, draw: () => T, set: (q: AugmentSampleParams, v: T) => void): void => {
    if (m <= 0) return;
    const values = out.map(draw);
    out.forEach((q, i) => {
      if (u() < prob) set(q, values[i]!);
    });
  };

  gated(mult.xflip, mult.xflip * p, () => Math.floor(u() * 2) as 0 | 1, (q, v) => (q.xflip = v));
  gated(mult.rotate90, mult.rotate90 * p, () => Math.floor(u() * 4) as 0 | 1 | 2 | 3, (q, v) => (q.rotate90 = v));
  gated(mult.xint, mult.xint * p, () => [(u() * 2 - 1) * strength.xintMax, (u() * 2 - 1) * strength.xintMax] as [number, number], (q, v) => (q.xint = v));
  gated(mult.scale, mult.scale * p, () => 2 ** (n() * strength.scaleStd), (q, v) => (q.scale = v));
  const pRot = 1 - Math.sqrt(Math.min(Math.max(1 - mult.rotate * p, 0), 1));
  gated(mult.rotate, pRot, () => (u() * 2 - 1) * Math.PI * strength.rotateMax, (q, v) => (q.rotatePre = v));
  gated(mult.aniso, mult.aniso * p, () => 2 ** (n() * strength.anisoStd), (q, v) => (q.aniso = v));
  gated(mult.rotate, pRot, () => (u() * 2 - 1) * Math.PI * strength.rotateMax, (q, v) => (q.rotatePost = v));
  gated(mult.xfrac, mult.xfrac * p, () => [n() * strength.xfracStd, n() * strength.xfracStd] as [number, number], (q, v) => (q.xfrac = v));

  gated(mult.brightness, mult.brightness * p, () => n() * strength.brightnessStd, (q, v) => (q.brightness = v));
  gated(mult.contrast, mult.contrast * p, () => 2 ** (n() * strength.contrastStd), (q, v) => (q.contrast = v));
  gated(mult.lumaflip, mult.lumaflip * p, () => Math.floor(u() * 2) as 0 | 1, (q, v) => (q.lumaflip = v));
  if (channels > 1) {
    gated(mult.hue, mult.hue * p, () => (u() * 2 - 1) * Math.PI * strength.hueMax, (q, v) => (q.hue = v));
    gated(mult.saturation, mult.saturation * p, () => 2 ** (n() * strength.saturationStd), (q, v) => (q.saturation = v));
  }
  return out;
}

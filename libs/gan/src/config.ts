/**
 * The network and training configuration: one typed interface per part, defaults in one place,
 * and the reference's presets (`cfg_specs` of NVlabs train.py) as one table.
 */
import { GAN_PRESET_NAMES, type GanPresetName } from '@dermagan/contracts';

/** Architecture of G and D. */
export interface NetworkConfig {
  /** Output / input image side in pixels, a power of two in [16, 256]. */
  resolution: number;
  /** Image channels (3 = RGB). */
  imgChannels: number;
  /** Number of classes for conditioning (0 = unconditional). */
  cDim: number;
  /** Latent z dimensionality. */
  zDim: number;
  /** Intermediate w dimensionality. */
  wDim: number;
  /** Mapping network depth (reference: 8 for paper256, 2 for 'auto'). */
  mappingLayers: number;
  /** Feature maps at resolution r = min(channelBase / r, channelMax). */
  channelBase: number;
  /** Upper bound on feature maps per layer. */
  channelMax: number;
  /** Clamp of conv activations (256 in the reference; undefined = none). */
  convClamp: number | undefined;
  /** Minibatch-stddev group size (undefined = min(4, batch)). */
  mbstdGroup: number | undefined;
  /** Hidden activation: 'lrelu' (reference); 'smooth-lrelu' only for finite-difference tests. */
  activation: 'lrelu' | 'smooth-lrelu';
  /** Learning-rate multiplier of the mapping networks. */
  mappingLrMul: number;
  /** w_avg tracking decay (β in w_avg ← lerp(mean w, w_avg, β)). */
  wAvgBeta: number;
}

/** Losses, optimiser and schedule. */
export interface TrainingConfig {
  /** Minibatch size (images per step). */
  batch: number;
  /** Adam learning rate for G and D (before the lazy-regularisation correction). */
  lr: number;
  /** Adam β1, β2, ε. */
  betas: [number, number];
  eps: number;
  /** R1 weight γ (0 = no R1). */
  r1Gamma: number;
  /** Lazy R1 interval in steps (Dreg runs when step % interval == 0). */
  r1Interval: number;
  /** Path-length weight (0 = no Greg). */
  plWeight: number;
  /** Lazy path-length interval in steps. */
  plInterval: number;
  /** Path-length batch = batch / plBatchShrink. */
  plBatchShrink: number;
  /** Decay of the running path-length mean. */
  plDecay: number;
  /** Probability of style mixing per batch. */
  styleMixing: number;
  /** G_ema half-life in kimg. */
  emaKimg: number;
  /** G_ema ramp-up: half-life ≤ rampup · images seen (undefined = none). */
  emaRampup: number | undefined;
}

export const DEFAULT_NETWORK: NetworkConfig = {
  resolution: 256,
  imgChannels: 3,
  cDim: 0,
  zDim: 512,
  wDim: 512,
  mappingLayers: 8,
  channelBase: 16384,
  channelMax: 512,
  convClamp: 256,
  mbstdGroup: undefined,
  activation: 'lrelu',
  mappingLrMul: 0.01,
  wAvgBeta: 0.995,
};

export const DEFAULT_TRAINING: TrainingConfig = {
  batch: 16,
  lr: 0.0025,
  betas: [0, 0.99],
  eps: 1e-8,
  r1Gamma: 10,
  r1Interval: 16,
  plWeight: 2,
  plInterval: 4,
  plBatchShrink: 2,
  plDecay: 0.01,
  styleMixing: 0.9,
  emaKimg: 10,
  emaRampup: undefined,
};

export interface GanConfig {
  network: NetworkConfig;
  training: TrainingConfig;
}

/** The presets' names (one list, with the training options' schema in @dermagan/contracts). */
export type PresetName = GanPresetName;
export const PRESET_NAMES: readonly PresetName[] = GAN_PRESET_NAMES;

/**
 * The reference's presets (REFERENCE §2.1) for one GPU; 'auto' derives batch, γ and EMA from the
 * resolution. 'quick' (CPU laptop) and 'test' (unit tests: tiny channels) are ours.
 */
export function preset(name: PresetName, resolution: number): GanConfig {
  checkResolution(resolution);
  const network: NetworkConfig = { ...DEFAULT_NETWORK, resolution };
  const training: TrainingConfig = { ...DEFAULT_TRAINING };
  switch (name) {
    case 'auto': {
      const batch = Math.max(Math.min(Math.min(4096 / resolution, 32), 64), 1);
      Object.assign(network, { mappingLayers: 2, channelBase: 16384 });
      Object.assign(training, { batch, lr: 0.0025, r1Gamma: (0.0002 * resolution ** 2) / batch, emaKimg: (batch * 10) / 32, emaRampup: 0.05 });
      break;
    }
    case 'paper256':
      Object.assign(network, { mappingLayers: 8, channelBase: 16384, mbstdGroup: 8 });
      Object.assign(training, { batch: 64, lr: 0.0025, r1Gamma: 1, emaKimg: 20, emaRampup: undefined });
      break;
    case 'stylegan2':
      Object.assign(network, { mappingLayers: 8, channelBase: 32768 });
      Object.assign(training, { batch: 32, lr: 0.002, r1Gamma: 10, emaKimg: 10, emaRampup: undefined });
      break;
    case 'quick':
      Object.assign(network, { mappingLayers: 2, channelBase: 2048, channelMax: 128, zDim: 128, wDim: 128 });
      Object.assign(training, { batch: 16, r1Gamma: (0.0002 * resolution ** 2) / 16, emaKimg: 2, emaRampup: 0.05 });
      break;
    case 'test':
      Object.assign(network, { mappingLayers: 2, channelBase: 128, channelMax: 16, zDim: 16, wDim: 16, convClamp: 256 });
      Object.assign(training, { batch: 4, r1Gamma: 1, emaKimg: 0.01, emaRampup: 0.05 });
      break;
  }
  return { network, training };
}

export function checkResolution(resolution: number): void {
  if (!Number.isInteger(Math.log2(resolution)) || resolution < 16 || resolution > 256) {
    throw new Error(`resolution must be a power of two in [16, 256], got ${resolution}`);
  }
}

/** Feature maps at each resolution: min(base / r, max). */
export function channelsAt(network: NetworkConfig, res: number): number {
  return Math.min(Math.floor(network.channelBase / res), network.channelMax);
}

/** [4, 8, …, resolution]. */
export function blockResolutions(resolution: number): number[] {
  const out: number[] = [];
  for (let r = 4; r <= resolution; r *= 2) out.push(r);
  return out;
}

/** Number of w vectors the synthesis network consumes: 2·log2(res) − 2 (14 at 256²). */
export function numWs(resolution: number): number {
  return 2 * Math.log2(resolution) - 2;
}

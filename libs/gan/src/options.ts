/**
 * From the training options (@dermagan/contracts GanTrainingOptions, defaults GAN_TRAINING_DEFAULTS)
 * to the engine: the network and training configuration (a preset with the options' overrides) and
 * the trainer's options. The one mapping: `dermagan train`, the gan-trainer service, the tenants of
 * a federation and fresh models all come through here.
 */
import type { FederatedGanTrainingOptions } from '@dermagan/contracts';
import { preset, type GanConfig } from './config.ts';
import { GAN_TRAINING_DEFAULTS } from './defaults.ts';
import { TrainingDataError } from './training-data.ts';
import { DEFAULT_AUGMENT, type TrainerOptions } from './training-loop.ts';

type Defaulted = { -readonly [K in keyof typeof GAN_TRAINING_DEFAULTS]: (typeof GAN_TRAINING_DEFAULTS)[K] };

/** The options with every field the defaults table covers filled in (absent or undefined = the default). */
export function withGanDefaults<O extends FederatedGanTrainingOptions>(o: O): O & Defaulted {
  const given = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  return { ...GAN_TRAINING_DEFAULTS, ...given } as O & Defaulted;
}

/** The network and training configuration: the preset at the resolution, with the options' overrides. */
export function ganConfigFrom(options: FederatedGanTrainingOptions, numClasses: number): GanConfig {
  const o = withGanDefaults(options);
  const cfg = preset(o.cfg, o.res);
  if (o.cond) cfg.network.cDim = numClasses;
  if (o.batch !== undefined) cfg.training.batch = o.batch;
  if (o.cbase !== undefined) cfg.network.channelBase = o.cbase;
  if (o.cmax !== undefined) cfg.network.channelMax = o.cmax;
  if (o.map !== undefined) cfg.network.mappingLayers = o.map;
  if (o.zdim !== undefined) cfg.network.zDim = o.zdim;
  if (o.wdim !== undefined) cfg.network.wDim = o.wdim;
  if (o.gamma !== undefined) cfg.training.r1Gamma = o.gamma;
  const group = Math.min(cfg.network.mbstdGroup ?? 4, cfg.training.batch);
  if (cfg.training.batch % group !== 0) throw new TrainingDataError(`batch ${cfg.training.batch} must be a multiple of the minibatch-stddev group ${group}`);
  return cfg;
}

/**
 * The trainer's options: configuration, seed (the options' unless given: a tenant trains with its
 * own), the augment pipe with a fixed p or ADA's target.
 */
export function trainerOptionsFrom(options: FederatedGanTrainingOptions, numClasses: number, seed?: number): TrainerOptions {
  const o = withGanDefaults(options);
  return {
    config: ganConfigFrom(o, numClasses),
    seed: seed ?? o.seed,
    augment: { ...DEFAULT_AUGMENT, pipe: o.aug, target: o.p !== undefined ? undefined : o.target, p: o.p ?? 0 },
    mirror: o.mirror,
  };
}

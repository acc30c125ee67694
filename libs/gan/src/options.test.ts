/** The one mapping from training options to the engine: defaults from the one table, overrides, ADA vs fixed p. */
import { describe, expect, it } from 'vitest';
import { GanTrainingOptions } from '@dermagan/contracts';
import { preset } from './config.ts';
import { GAN_TRAINING_DEFAULTS } from './defaults.ts';
import { ganConfigFrom, trainerOptionsFrom, withGanDefaults } from './options.ts';
import { DEFAULT_AUGMENT } from './training-loop.ts';

describe('training options → engine', () => {
  it('absent options take the defaults table: auto preset, unconditional, bgc with ADA target 0.6, seed 0', () => {
    const t = trainerOptionsFrom({ res: 32 }, 2);
    expect(t.config).toEqual(preset('auto', 32));
    expect(t.config.network.cDim).toBe(0);
    expect(t.seed).toBe(GAN_TRAINING_DEFAULTS.seed);
    expect(t.augment).toEqual({ ...DEFAULT_AUGMENT, pipe: 'bgc', target: 0.6, p: 0 });
    expect(withGanDefaults({ res: 32, kimg: 1 }).tickKimg).toBe(4);
  });

  it('overrides the preset field by field; cond conditions on the dataset classes', () => {
    const c = ganConfigFrom({ res: 16, cfg: 'test', cond: true, batch: 8, cbase: 256, cmax: 32, map: 1, gamma: 0.05, zdim: 8, wdim: 12 }, 2);
    expect(c.network).toMatchObject({ resolution: 16, cDim: 2, channelBase: 256, channelMax: 32, mappingLayers: 1, zDim: 8, wDim: 12 });
    expect(c.training).toMatchObject({ batch: 8, r1Gamma: 0.05 });
  });

  it('a fixed p turns ADA off (no target); an explicit undefined means the default', () => {
    expect(trainerOptionsFrom({ res: 16, p: 0.2 }, 1).augment).toMatchObject({ p: 0.2, target: undefined });
    expect(trainerOptionsFrom({ res: 16, aug: undefined, target: 0.7 }, 1).augment).toMatchObject({ pipe: 'bgc', target: 0.7, p: 0 });
  });

  it('mirror doubles the reals by x-flips (off unless asked)', () => {
    expect([trainerOptionsFrom({ res: 16 }, 1).mirror, trainerOptionsFrom({ res: 16, mirror: true }, 1).mirror]).toEqual([false, true]);
  });

  it('a tenant trains with its own seed, the rest the same', () => {
    const a = trainerOptionsFrom({ res: 16, seed: 3 }, 1);
    const b = trainerOptionsFrom({ res: 16, seed: 3 }, 1, 3017);
    expect([a.seed, b.seed]).toEqual([3, 3017]);
    expect(b.config).toEqual(a.config);
  });

  it('throws when the batch is not a multiple of the minibatch-stddev group', () => {
    expect(() => ganConfigFrom({ res: 16, batch: 6 }, 1)).toThrow(/batch 6 must be a multiple of the minibatch-stddev group 4/);
  });

  it('every defaults-table entry is a field of the options schema', () => {
    for (const key of Object.keys(GAN_TRAINING_DEFAULTS)) expect(Object.keys(GanTrainingOptions.shape)).toContain(key);
  });
});

/** The options schemas: what they accept and refuse, and that every GAN option documents itself for the CLI. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ClassifierOptions } from './classifier.ts';
import { EvaluationOptions } from './evaluation.ts';
import { FederatedGanTrainingOptions, GanTrainingOptions, type OptionMeta } from './gan-training.ts';

describe('GanTrainingOptions', () => {
  it('needs res and kimg; the rest is optional', () => {
    expect(GanTrainingOptions.parse({ res: 32, kimg: 8 })).toEqual({ res: 32, kimg: 8 });
    expect(GanTrainingOptions.safeParse({ res: 32 }).success).toBe(false);
    expect(FederatedGanTrainingOptions.parse({ res: 32, kimg: 8, tickKimg: 1 })).toEqual({ res: 32 });
  });

  it('refuses a resolution that is not a power of two in [16, 256], saying which', () => {
    for (const res of [48, 8, 512]) {
      const r = GanTrainingOptions.safeParse({ res, kimg: 1 });
      expect(r.success).toBe(false);
      expect(z.prettifyError(r.error!)).toContain(`resolution must be a power of two in [16, 256], got ${res}`);
    }
  });

  it('refuses unknown presets and pipes, p outside [0, 1], a non-positive kimg', () => {
    for (const bad of [{ cfg: 'huge' }, { aug: 'xyz' }, { p: 1.5 }, { kimg: 0 }, { batch: 2.5 }]) {
      expect(GanTrainingOptions.safeParse({ res: 16, kimg: 1, ...bad }).success, JSON.stringify(bad)).toBe(false);
    }
  });

  it('every field carries its help line (the CLI flags are made from it)', () => {
    for (const [key, field] of Object.entries(GanTrainingOptions.shape)) {
      const meta = field.meta() as OptionMeta | undefined;
      expect(meta?.description, key).toMatch(/\w/);
    }
  });
});

describe('EvaluationOptions and ClassifierOptions', () => {
  it('accept the presets’ values and refuse nonsense', () => {
    expect(EvaluationOptions.parse({ kidSubsets: 5, kidSubsetSize: 16, k: 3 })).toEqual({ kidSubsets: 5, kidSubsetSize: 16, k: 3 });
    expect(EvaluationOptions.safeParse({ k: 0 }).success).toBe(false);
    expect(ClassifierOptions.parse({ arch: 'small', epochs: 1, size: 16, seed: 0, resamples: 50 })).toMatchObject({ arch: 'small', resamples: 50 });
    expect(ClassifierOptions.safeParse({ arch: 'resnet' }).success).toBe(false);
    expect(ClassifierOptions.safeParse({ synthClasses: [-1] }).success).toBe(false);
  });
});

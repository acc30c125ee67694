/** Presets as REFERENCE §2.1 derives them, and the lazy-regularisation / EMA arithmetic of §2.7. */
import { describe, expect, it } from 'vitest';
import { lazyRegAdam } from './adam.ts';
import { channelsAt, preset } from './config.ts';
import { emaBeta } from './ema.ts';

describe('presets', () => {
  it("'auto' at 256²: batch 16, γ 0.8192, EMA 5 kimg with ramp-up 0.05, 2 mapping layers, channels 512…64", () => {
    const { network, training } = preset('auto', 256);
    expect({ batch: training.batch, ema: training.emaKimg, rampup: training.emaRampup, map: network.mappingLayers }).toEqual({ batch: 16, ema: 5, rampup: 0.05, map: 2 });
    expect(training.r1Gamma).toBeCloseTo(0.8192, 10);
    expect([4, 8, 16, 32, 64, 128, 256].map((r) => channelsAt(network, r))).toEqual([512, 512, 512, 512, 256, 128, 64]);
  });
  it("'paper256': batch 64, γ 1, EMA 20, mbstd group 8, 8 mapping layers", () => {
    const { network, training } = preset('paper256', 256);
    expect([training.batch, training.r1Gamma, training.emaKimg, network.mbstdGroup, network.mappingLayers]).toEqual([64, 1, 20, 8, 8]);
  });
  it('throws for a resolution outside 16…256 or not a power of two', () => {
    expect(() => preset('auto', 48)).toThrow(/power of two in \[16, 256\], got 48/);
    expect(() => preset('auto', 512)).toThrow(/got 512/);
  });
});

describe('lazy regularisation and EMA', () => {
  it('G (interval 4): lr 0.002, β2 ≈ 0.99199; D (16): lr ≈ 0.002353, β2 ≈ 0.990585', () => {
    const g = lazyRegAdam(0.0025, [0, 0.99], 1e-8, 4);
    const d = lazyRegAdam(0.0025, [0, 0.99], 1e-8, 16);
    expect(g.lr).toBeCloseTo(0.002, 12);
    expect(g.betas[1]).toBeCloseTo(0.99199, 5);
    expect(d.lr).toBeCloseTo(0.0023529, 6);
    expect(d.betas[1]).toBeCloseTo(0.990585, 6);
    expect(g.betas[0]).toBe(0);
  });
  it('β = 0.5^(batch/ema_nimg) ≈ 0.99778 for auto (16, 5 kimg) and paper256 (64, 20 kimg); ramp-up caps the half-life', () => {
    expect(emaBeta(16, 1e9, 5, 0.05)).toBeCloseTo(0.99778, 5);
    expect(emaBeta(64, 1e9, 20, undefined)).toBeCloseTo(0.99778, 5);
    expect(emaBeta(16, 1000, 5, 0.05)).toBeCloseTo(0.5 ** (16 / 50), 12);
    expect(emaBeta(16, 0, 5, 0.05)).toBe(0);
  });
});

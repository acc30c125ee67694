/** The engine RNG: reproducible per seed, state round-trips exactly, sane distributions. */
import { describe, expect, it } from 'vitest';
import { Rng } from './rng.ts';

describe('Rng', () => {
  it('same seed → same stream; different seeds → different streams', () => {
    expect(new Rng(5).normal(8)).toEqual(new Rng(5).normal(8));
    expect(new Rng(5).normal(8)).not.toEqual(new Rng(6).normal(8));
  });
  it('getState/fromState continues the exact sequence', () => {
    const a = new Rng(9);
    a.normal(13);
    const b = Rng.fromState(a.getState());
    expect(b.normal(10)).toEqual(a.normal(10));
    expect(b.int(0, 1000)).toBe(a.int(0, 1000));
  });
  it('normal draws have mean ≈ 0 and variance ≈ 1; uniform ints cover the range', () => {
    const x = new Rng(1).normal(20000);
    const mean = x.reduce((s, v) => s + v, 0) / x.length;
    const variance = x.reduce((s, v) => s + (v - mean) ** 2, 0) / x.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.04);
    const r = new Rng(2);
    const seen = new Set(Array.from({ length: 200 }, () => r.int(1, 6)));
    expect([...seen].sort()).toEqual([1, 2, 3, 4, 5]);
  });
  it('rejects a malformed state', () => {
    expect(() => new Rng(0).setState([1, 2, 3] as unknown as [number, number, number, number])).toThrow(/four uint32 words/);
  });
});

/**
 * The generator as PPL samples it: w vectors are deterministic for a seed and shared between the
 * two end-points' classes; images from w broadcast to every layer are the same images
 * `Generator.apply` makes from the same z (const noise, ψ = 1).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTf } from '@dermagan/tf';
import { MemoryCheckpointSink } from './checkpoint.ts';
import { preset } from './config.ts';
import { loadGenerator, type LoadedGenerator } from './generate.ts';
import { generatorPath, type PathRng } from './path-generator.ts';
import { Rng } from './rng.ts';
import type { Tensor2D, Tf } from './tf-types.ts';
import { inMemoryData } from './training-data.ts';
import { Trainer } from './training-loop.ts';

let tf: Tf;
let loaded: LoadedGenerator;

/** A tiny seeded uniform/normal source (PPL hands in @dermagan/metrics' mulberry32). */
function pathRng(seed: number): PathRng {
  const r = new Rng(seed);
  return { next: () => r.uniform(), normal: () => r.normal(1)[0]! };
}

beforeAll(async () => {
  tf = (await loadTf()).tf;
  const rng = new Rng(1);
  const data = inMemoryData(new Uint8Array(8 * 16 * 16 * 3).map(() => rng.int(0, 256)), new Int32Array(8).map((_, i) => i % 2), 16, ['benign', 'malignant']);
  const config = preset('test', 16);
  config.network.cDim = 2;
  const trainer = new Trainer(tf, data, { config, seed: 5, augment: { pipe: 'noaug', target: undefined, p: 0, interval: 4, kimg: 500 }, mirror: false });
  trainer.stepOnce();
  const sink = new MemoryCheckpointSink();
  await trainer.save(sink);
  trainer.dispose();
  loaded = await loadGenerator(tf, sink);
});

describe('generatorPath', () => {
  it('samples the same w for the same seed, [n, wDim]', () => {
    const path = generatorPath(tf, loaded);
    const a = path.sampleW(3, pathRng(7));
    const b = generatorPath(tf, loaded).sampleW(3, pathRng(7));
    expect(a.length).toBe(3 * path.wDim);
    expect([...a]).toEqual([...b]);
    expect(a.every(Number.isFinite)).toBe(true);
  });

  it('draws classes for the first call of a pair only; the second reuses them', () => {
    const path = generatorPath(tf, loaded);
    const inner = pathRng(11);
    const counts = { next: 0, normal: 0 };
    const rng: PathRng = { next: () => (counts.next++, inner.next()), normal: () => (counts.normal++, inner.normal()) };
    path.sampleW(4, rng);
    expect(counts).toEqual({ next: 4, normal: 4 * loaded.G.cfg.zDim });
    path.sampleW(4, rng);
    expect(counts).toEqual({ next: 4, normal: 8 * loaded.G.cfg.zDim });
    path.sampleW(4, rng); // the next pair draws its classes again
    expect(counts.next).toBe(8);
  });

  it('synthesises what Generator.apply makes from the same z (ψ = 1, const noise)', () => {
    const path = generatorPath(tf, loaded);
    const n = 2;
    const z = tf.randomNormal([n, loaded.G.cfg.zDim], 0, 1, 'float32', 3) as Tensor2D;
    const c = tf.oneHot(tf.tensor1d([0, 1], 'int32'), 2).toFloat() as Tensor2D;
    const expected = loaded.G.apply(z, c, { noiseMode: 'const' });
    const w = tf.slice(loaded.G.mapping.apply(z, c), [0, 0, 0], [n, 1, path.wDim]).dataSync() as Float32Array;
    const got = path.synthesize(w, n);
    expect(got.shape).toEqual(expected.shape);
    const e = expected.dataSync();
    let maxDiff = 0;
    for (let i = 0; i < e.length; i++) maxDiff = Math.max(maxDiff, Math.abs(e[i]! - got.data[i]!));
    expect(maxDiff).toBeLessThan(1e-5);
  });
});

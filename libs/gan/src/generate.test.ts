/**
 * Sampling: per-image seeds make image i independent of the batch it is made in; truncation ψ = 0
 * collapses every image to the w_avg image; the dataset output is a valid dermagan dataset with
 * source.kind 'generated' and the generator's provenance; misuse is refused with what to do.
 */
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDataset } from '@dermagan/dataset';
import { OutputRefusedError } from '@dermagan/safe-io';
import { loadTf } from '@dermagan/tf';
import { MemoryCheckpointSink } from './checkpoint.ts';
import { preset } from './config.ts';
import { generateDataset, generateImages, loadGenerator, type GeneratedImage, type LoadedGenerator } from './generate.ts';
import { Rng } from './rng.ts';
import type { Tf } from './tf-types.ts';
import { inMemoryData } from './training-data.ts';
import { Trainer } from './training-loop.ts';

let tf: Tf;
let loaded: LoadedGenerator;
let dir: string;

beforeAll(async () => {
  tf = (await loadTf()).tf;
  const rng = new Rng(1);
  const n = 8;
  const data = inMemoryData(new Uint8Array(n * 16 * 16 * 3).map(() => rng.int(0, 256)), new Int32Array(n).map((_, i) => i % 2), 16, ['benign', 'malignant']);
  const config = preset('test', 16);
  config.network.cDim = 2;
  const trainer = new Trainer(tf, data, { config, seed: 3, augment: { pipe: 'noaug', target: undefined, p: 0, interval: 4, kimg: 500 }, mirror: false });
  for (let i = 0; i < 3; i++) trainer.stepOnce();
  // Non-zero noise strengths, so the noise mode matters.
  for (const [name, p] of trainer.Gema.ps.params) if (name.endsWith('noise_strength')) p.assign(tf.scalar(0.5));
  const sink = new MemoryCheckpointSink();
  await trainer.save(sink);
  trainer.dispose();
  loaded = await loadGenerator(tf, sink);
  dir = await mkdtemp(join(tmpdir(), 'dermagan-gen-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function collect(options: Parameters<typeof generateImages>[2]): Promise<GeneratedImage[]> {
  const out: GeneratedImage[] = [];
  await generateImages(tf, loaded, options, (b) => void out.push(...b));
  return out;
}

describe('generateImages', () => {
  for (const noiseMode of ['random', 'const'] as const) {
    it(`image i is the same alone as in a batch of 5 (noise ${noiseMode})`, async () => {
      const batched = await collect({ n: 5, classes: [1], seed: 40, truncation: 0.7, noiseMode, batch: 5 });
      const alone = await collect({ n: 1, classes: [1], seed: 43, truncation: 0.7, noiseMode, batch: 1 });
      expect(batched.map((b) => b.seed)).toEqual([40, 41, 42, 43, 44]);
      expect(alone[0]!.seed).toBe(43);
      let worst = 0;
      alone[0]!.pixels.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - batched[3]!.pixels[i]!))));
      expect(worst).toBeLessThanOrEqual(1);
    });
  }

  it('ψ = 0 gives the same image for every seed; ψ = 1 does not', async () => {
    const flat = await collect({ n: 3, classes: [0], seed: 0, truncation: 0, noiseMode: 'const' });
    expect(flat[1]!.pixels).toEqual(flat[0]!.pixels);
    const free = await collect({ n: 2, classes: [0], seed: 0, truncation: 1, noiseMode: 'const' });
    expect(free[1]!.pixels).not.toEqual(free[0]!.pixels);
  });

  it('refuses a class outside the generator', async () => {
    await expect(collect({ n: 1, classes: [2], seed: 0, truncation: 1 })).rejects.toThrow(/class 2 is outside \[0, 2\)/);
  });
});

describe('generateDataset', () => {
  it('writes n images per class as a generated dermagan dataset with provenance', async () => {
    const out = join(dir, 'gen');
    const result = await generateDataset(tf, loaded, { n: 3, seed: 100, truncation: 0.7 }, out, { name: 'tensorflow' });
    expect(result.images).toBe(6);
    const ds = await openDataset(out);
    expect(ds.manifest.source.kind).toBe('generated');
    expect(ds.manifest.labels).toEqual(['benign', 'malignant']);
    expect(Array.from(ds.labels)).toEqual([0, 0, 0, 1, 1, 1]);
    expect(ds.entries.map((e) => e.id)).toEqual(['seed000100', 'seed000101', 'seed000102', 'seed000103', 'seed000104', 'seed000105']);
    expect(ds.manifest.source.generator).toMatchObject({ truncation: 0.7, noiseMode: 'const', step: 3, seeds: { first: 100 } });
    expect(ds.pixels.length).toBe(6 * 16 * 16 * 3);
  });

  it('replaces a previous dataset, and refuses a folder that is not one, untouched', async () => {
    const out = join(dir, 'again');
    await generateDataset(tf, loaded, { n: 2, seed: 0, truncation: 1 }, out);
    await generateDataset(tf, loaded, { n: 1, seed: 0, truncation: 1 }, out);
    expect((await openDataset(out)).entries).toHaveLength(2);

    const webapp = join(dir, 'webapp');
    await mkdir(webapp);
    await writeFile(join(webapp, 'manifest.json'), '{"name":"my web app"}');
    await expect(generateDataset(tf, loaded, { n: 1, seed: 0, truncation: 1 }, webapp)).rejects.toBeInstanceOf(OutputRefusedError);
    expect(await readdir(webapp)).toEqual(['manifest.json']);
    expect(await readFile(join(webapp, 'manifest.json'), 'utf8')).toBe('{"name":"my web app"}');
    expect((await readdir(dir)).filter((n) => n.includes('partial'))).toEqual([]);
  });
});

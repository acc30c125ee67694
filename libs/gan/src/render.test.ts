/**
 * Rendering for the explorer: at amount 0 it shows exactly the image generateImages makes from the
 * same seed (same z, ψ, constant noise); a direction moves the image; the grid is a PNG of the
 * expected size; a direction of the wrong length is refused.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTf } from '@dermagan/tf';
import { FolderCheckpointSink } from './checkpoint.ts';
import { preset } from './config.ts';
import { generateImages, loadGenerator, type GeneratedImage, type LoadedGenerator } from './generate.ts';
import { CheckpointRenderer, renderImages } from './render.ts';
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
  const data = inMemoryData(new Uint8Array(8 * 16 * 16 * 3).map(() => rng.int(0, 256)), new Int32Array(8).map((_, i) => i % 2), 16, ['benign', 'malignant']);
  const config = preset('test', 16);
  config.network.cDim = 2;
  const trainer = new Trainer(tf, data, { config, seed: 3, augment: { pipe: 'noaug', target: undefined, p: 0, interval: 4, kimg: 500 }, mirror: false });
  for (let i = 0; i < 2; i++) trainer.stepOnce();
  dir = await mkdtemp(join(tmpdir(), 'dermagan-render-'));
  await trainer.save(new FolderCheckpointSink(dir));
  trainer.dispose();
  loaded = await loadGenerator(tf, new FolderCheckpointSink(dir));
});
afterAll(async () => {
  loaded.G.ps.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('renderImages', () => {
  it('seed s, ψ 0.7, no edits = the image generateImages makes from seed s (constant noise)', async () => {
    const made: GeneratedImage[] = [];
    await generateImages(tf, loaded, { n: 1, classes: [1], seed: 42, truncation: 0.7, noiseMode: 'const' }, (b) => void made.push(...b));
    const { pixels, size } = renderImages(tf, loaded, { seeds: [42], truncation: 0.7, classIndex: 1, edits: [] });
    expect(size).toBe(16);
    let worst = 0;
    pixels.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - made[0]!.pixels[i]!))));
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('an edit along a direction changes the image; amount 0 does not', () => {
    const wDim = loaded.G.cfg.wDim;
    const direction = Array.from({ length: wDim }, (_, k) => (k === 0 ? 1 : 0));
    const base = renderImages(tf, loaded, { seeds: [7], truncation: 1, classIndex: 0, edits: [] }).pixels;
    const zero = renderImages(tf, loaded, { seeds: [7], truncation: 1, classIndex: 0, edits: [{ direction, amount: 0 }] }).pixels;
    const moved = renderImages(tf, loaded, { seeds: [7], truncation: 1, classIndex: 0, edits: [{ direction, amount: 20 }] }).pixels;
    expect(Buffer.compare(Buffer.from(base), Buffer.from(zero))).toBe(0);
    expect(Buffer.compare(Buffer.from(base), Buffer.from(moved))).not.toBe(0);
    // Limited to the last ws only, the same move changes the image less than on every ws.
    const last = loaded.G.numWs;
    const partly = renderImages(tf, loaded, { seeds: [7], truncation: 1, classIndex: 0, edits: [{ direction, amount: 20, layers: { start: last - 1, end: last } }] }).pixels;
    const distance = (x: Uint8Array) => x.reduce((acc, v, i) => acc + Math.abs(v - base[i]!), 0);
    expect(distance(partly)).toBeGreaterThan(0);
    expect(distance(partly)).toBeLessThan(distance(moved));
  });

  it('refuses a direction of the wrong length, and a class the generator does not have', () => {
    expect(() => renderImages(tf, loaded, { seeds: [1], truncation: 1, classIndex: 0, edits: [{ direction: [1, 2], amount: 1 }] })).toThrow(/has 2 numbers; this generator's w has/);
    expect(() => renderImages(tf, loaded, { seeds: [1], truncation: 1, classIndex: 5, edits: [] })).toThrow(/class 5 is outside/);
    const direction = new Array<number>(loaded.G.cfg.wDim).fill(0);
    expect(() => renderImages(tf, loaded, { seeds: [1], truncation: 1, classIndex: 0, edits: [{ direction, amount: 1, layers: { start: 0, end: 99 } }] })).toThrow(/outside this generator's \d+ ws/);
  });
});

describe('CheckpointRenderer', () => {
  it('renders a request as a PNG grid (6 seeds, 3 columns, ×2 → 2 rows of 16-px images with 2-px gaps)', async () => {
    const renderer = new CheckpointRenderer({ tf, fetchCheckpoint: async () => dir });
    const ref = { bucket: 'b', prefix: 'p/', manifest: { bucket: 'b', key: 'p/checkpoint.json', sha256: 'a'.repeat(64), size: 1 } };
    const png = await renderer.render({ checkpoint: ref, seeds: [0, 1, 2, 3, 4, 5], truncation: 1, classIndex: null, edits: [], columns: 3, scale: 2 });
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', (3 * 16 + 2 * 2) * 2, (2 * 16 + 2) * 2]);
    renderer.dispose();
  });
});

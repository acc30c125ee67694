/**
 * A projection's latents reproduce it: w.npy and noise/ written from finished projections give
 * back, through synthesizeProjection, exactly the images the projection rendered — and not
 * without their noise maps; files of another generator are refused with the layer and the shape
 * it needs.
 */
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng, type Generator } from '@dermagan/gan';
import { readNpy, writeNpy } from '@dermagan/npy';
import { loadTf, type Tf } from '@dermagan/tf';
import { LATENT_FILES, noiseFile, readLatents, writeLatents } from './latent-files.ts';
import { projectorOptions } from './options.ts';
import { pixelFeatures } from './perceptual.ts';
import { projectImages } from './project.ts';
import type { DoneState } from './state.ts';
import { MemoryStateStore } from './state-store.ts';
import { regenerateProjection, synthesizeProjection } from './synthesize-projection.ts';
import { knownLatentTargets, tinyGenerator } from './testing.ts';

let tf: Tf;
let G: Generator;
let root: string;
const done: Record<'w' | 'w+', DoneState[]> = { w: [], 'w+': [] };
const dirOf = (space: 'w' | 'w+') => join(root, space);

beforeAll(async () => {
  tf = (await loadTf()).tf;
  root = await mkdtemp(join(tmpdir(), 'latents-'));
  // Noise strength 0.3: the noise maps visibly shape the images.
  G = tinyGenerator(tf, 16, 3, 0.3);
  const { targets } = knownLatentTargets(tf, G, 3, 11);
  for (const space of ['w', 'w+'] as const) {
    // Batches of 2: the images are regenerated in other company (all 3, or one by one) than they were projected in.
    const out = await projectImages(tf, { G, perceptual: pixelFeatures(tf), options: projectorOptions({ steps: 25, batch: 2, saveEvery: 10, wAvgSamples: 500, space }), targets, states: new MemoryStateStore() });
    done[space] = out.results as DoneState[];
    await mkdir(dirOf(space));
    await writeLatents(dirOf(space), G, done[space]);
  }
}, 120_000);
afterAll(async () => {
  G.ps.dispose();
  await rm(root, { recursive: true, force: true });
});

const projected = (space: 'w' | 'w+') => Uint8Array.from(done[space].flatMap((r) => Array.from(r.image)));

describe('a projection regenerated from its latents', () => {
  it('writes w.npy and one [n, r, r] file per noise input, and returns their sha256', async () => {
    const files = await writeLatents(dirOf('w'), G, done.w);
    const inputs = G.synthesis.noiseInputs();
    expect(Object.keys(files)).toEqual([LATENT_FILES.w, ...inputs.map((i) => noiseFile(i.name))]);
    expect(noiseFile(inputs[1]!.name)).toBe('noise/b8.conv0.noise_const.npy');
    for (const [file, sha256] of Object.entries(files)) expect(createHash('sha256').update(await readFile(join(dirOf('w'), file))).digest('hex')).toBe(sha256);
    const w = await readNpy(join(dirOf('w'), LATENT_FILES.w));
    expect(w.shape).toEqual([3, G.numWs, G.cfg.wDim]);
    // W space: the image's one w, on every layer.
    expect(Array.from(w.data.subarray((2 * G.numWs + G.numWs - 1) * G.cfg.wDim, (3 * G.numWs) * G.cfg.wDim))).toEqual(Array.from(done.w[2]!.w));
    for (const [i, input] of inputs.entries()) {
      const maps = await readNpy(join(dirOf('w'), noiseFile(input.name)));
      expect(maps.shape).toEqual([3, input.resolution, input.resolution]);
      expect(Array.from(maps.data.subarray(input.resolution ** 2))).toEqual(done.w.slice(1).flatMap((r) => Array.from(r.noise[i]!)));
    }
  });

  // Exact: the same synthesis and quantisation as the projection's final render, whatever the batch.
  it.each(['w', 'w+'] as const)('gives back exactly the projected images (%s space), in any batch and row order', async (space) => {
    expect(Array.from(await regenerateProjection(tf, G, dirOf(space)))).toEqual(Array.from(projected(space)));
    const per = 16 * 16 * 3;
    const some = await regenerateProjection(tf, G, dirOf(space), { rows: [2, 0], batch: 1 });
    expect(Array.from(some)).toEqual([...done[space][2]!.image, ...done[space][0]!.image]);
    expect(some.length).toBe(2 * per);
  });

  it('differs without the optimised noise maps (fresh random noise)', async () => {
    const latents = await readLatents(dirOf('w'), G);
    const rng = new Rng(5);
    const fresh = synthesizeProjection(tf, G, { ...latents, noise: latents.noise.map((n) => rng.normal(n.length)) });
    const image = projected('w');
    let differing = 0;
    let total = 0;
    fresh.forEach((v, i) => {
      differing += v === image[i] ? 0 : 1;
      total += Math.abs(v - image[i]!);
    });
    expect(differing / fresh.length).toBeGreaterThan(0.5);
    expect(total / fresh.length).toBeGreaterThan(1); // mean absolute difference, levels
  });
});

describe('latents that do not fit the generator', () => {
  const copy = async (name: string) => {
    const dir = join(root, name);
    await cp(dirOf('w'), dir, { recursive: true });
    return dir;
  };

  it('a noise file of another shape: names the layer and the shape it needs', async () => {
    const dir = await copy('bad-shape');
    await writeNpy(join(dir, noiseFile('b8.conv0.noise_const')), { dtype: 'float32', shape: [3, 4, 4], data: new Float32Array(48) });
    await expect(readLatents(dir, G)).rejects.toThrow(/noise\/b8\.conv0\.noise_const\.npy is float32 \[3, 4, 4\], but layer b8\.conv0\.noise_const needs float32 \[3, 8, 8\]/);
    await writeNpy(join(dir, noiseFile('b8.conv0.noise_const')), { dtype: 'float32', shape: [2, 8, 8], data: new Float32Array(128) });
    await expect(readLatents(dir, G)).rejects.toThrow(/is float32 \[2, 8, 8\], but layer b8\.conv0\.noise_const needs float32 \[3, 8, 8\]/);
  });

  it('a missing noise file or folder, a foreign layer, another generator', async () => {
    const dir = await copy('missing');
    await rename(join(dir, noiseFile('b16.conv1.noise_const')), join(dir, 'elsewhere.npy'));
    await expect(readLatents(dir, G)).rejects.toThrow(/noise\/b16\.conv1\.noise_const\.npy is missing: layer b16\.conv1\.noise_const needs float32 \[3, 16, 16\]/);
    await writeFile(join(dir, noiseFile('b32.conv0.noise_const')), '');
    await expect(readLatents(dir, G)).rejects.toThrow(/layers this generator does not have \(b32\.conv0\.noise_const\.npy/);
    await rm(join(dir, LATENT_FILES.noise), { recursive: true });
    await expect(readLatents(dir, G)).rejects.toThrow(/noise is missing: the projection was saved without its noise maps/);
    const G32 = tinyGenerator(tf, 32, 3, 0.3);
    try {
      await expect(readLatents(dirOf('w'), G32)).rejects.toThrow(/w\.npy is float32 \[3, 6, 16\]; this generator needs float32 \[n, 8, 16\]/);
    } finally {
      G32.ps.dispose();
    }
    await expect(readLatents(dirOf('w'), G, [3])).rejects.toThrow(/image 3 is not in .* \(it holds 3 images, 0 to 2\)/);
  });
});

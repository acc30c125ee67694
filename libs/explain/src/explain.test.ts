/**
 * The whole explanation on tiny real parts: a blob dataset (16², split by patient), a small CNN
 * trained on it, a conditional StyleGAN2 trained for a few steps, and every part. The projector
 * is a stand-in (the nearest of a few hundred rendered W samples, in pixels) until libs/projector
 * lands; the rest is the real code path.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runExperiment } from '@dermagan/classifier';
import { writeBlobDataset } from '@dermagan/classifier/testing';
import { LatentDirections } from '@dermagan/contracts';
import { runTraining } from '@dermagan/gan';
import { loadTf } from '@dermagan/tf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderWs, sampleW } from './latent/generator-ops.ts';
import { runExplanation, type ExplainInputs } from './explain.ts';
import type { Projector } from './steps/context.ts';

const { tf, info } = await loadTf();
let dir: string;
let base: Omit<ExplainInputs, 'out' | 'parts' | 'name'>;

/** Stand-in projector: the nearest (in pixels) of 200 rendered W samples of the image's class. */
const nearestSample: Projector = async (loaded, images, n, size, labels) => {
  const G = loaded.G;
  const d = G.cfg.wDim;
  const out = new Float32Array(n * d);
  for (let c = 0; c < Math.max(1, G.cfg.cDim); c++) {
    const w = sampleW(tf, G, { n: 200, seed: 77, ...(G.cfg.cDim > 0 ? { classes: new Int32Array(200).fill(c) } : {}) });
    const rendered = renderWs(tf, G, w.data as Float32Array, 200);
    const per = size * size * 3;
    for (let i = 0; i < n; i++) {
      if (G.cfg.cDim > 0 && labels[i] !== c) continue;
      let best = 0;
      let bestD = Infinity;
      for (let j = 0; j < 200; j++) {
        let s = 0;
        for (let p = 0; p < per; p++) s += (images[i * per + p]! - rendered[j * per + p]!) ** 2;
        if (s < bestD) [best, bestD] = [j, s];
      }
      out.set(w.data.subarray(best * d, (best + 1) * d), i * d);
    }
  }
  return out;
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dermagan-explain-'));
  await writeBlobDataset({ dir: join(dir, 'real'), size: 16, patientsPerClass: 24, imagesPerPatient: 2, testFraction: 0.25, seed: 1 });
  await writeBlobDataset({ dir: join(dir, 'synth'), size: 16, patientsPerClass: 10, imagesPerPatient: 1, testFraction: 0, seed: 2, kind: 'generated', prefix: 'syn' });
  await runExperiment(tf, info, { data: { scenario: 'real', real: join(dir, 'real') }, train: { arch: 'small', epochs: 2, size: 16, seed: 0 }, out: join(dir, 'classifier'), resamples: 20 });
  await runTraining(tf, info as unknown as Record<string, unknown>, { data: join(dir, 'real'), out: join(dir, 'gan'), options: { res: 16, kimg: 0.016, cfg: 'test', cond: true, batch: 4, tickKimg: 0.008 }, snapshotTicks: 1 });
  base = {
    classifier: join(dir, 'classifier'),
    real: join(dir, 'real'),
    synthetic: [{ name: 'blobs (synthetic)', dir: join(dir, 'synth') }],
    generator: { dir: join(dir, 'gan', 'checkpoint'), ref: { path: join(dir, 'gan', 'checkpoint') } },
    options: {
      maxPerSet: 30,
      tsne: { iterations: 250 },
      umap: { epochs: 100 },
      xrai: { steps: 10, scales: [50, 250] },
      xraiImages: { edge: 2, real: 1, synthetic: 1 },
      edgeCases: { max: 4 },
      neighbours: { count: 3 },
      directions: { k: 3, wSamples: 300, frameSamples: 120, steps: 5, psi: 0.7, cutoff: 8 },
      frameRemoval: { perClass: 24, overshoot: 3 },
      classifier: { epochs: 1 },
      resamples: 50,
    },
    projector: nearestSample,
  };
}, 600_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('runExplanation', () => {
  it('runs every part and writes the summary, the 3-D page, heat maps, strips and directions.json', async () => {
    const out = join(dir, 'explanation');
    const summary = await runExplanation(tf, info, { ...base, name: 'tiny', parts: ['embeddings', 'edge-cases', 'xrai', 'directions', 'frame-removal'], out });
    expect(summary.parts).toEqual(['embeddings', 'edge-cases', 'xrai', 'directions', 'frame-removal']);
    expect(summary.numbers.embedded_images).toBeGreaterThan(60);
    expect(summary.numbers.xrai_images).toBeGreaterThanOrEqual(2);
    // Edge cases exist on an under-trained classifier; their neighbours retrain it with a ΔAUC and CI.
    expect(summary.numbers.edge_cases).toBeGreaterThan(0);
    expect(summary.numbers.edge_aug_delta_auc_low).toBeLessThanOrEqual(summary.numbers.edge_aug_delta_auc!);
    const html = await readFile(join(out, 'view-3d.html'), 'utf8');
    expect(html).toContain('t-SNE 3-D (classifier embedding)');
    expect(html).toContain('t-SNE 3-D (inception-2015)');
    expect(html).not.toMatch(/src="http|href="http|fetch\(/);
    const directions = LatentDirections.parse(JSON.parse(await readFile(join(out, 'directions.json'), 'utf8')));
    expect(directions.sets.map((s) => s.kind)).toEqual(expect.arrayContaining(['sefa', 'ganspace']));
    const sections = summary.sections as { xrai: { entries: Array<{ file: string }> }; directions: { strips: Array<{ file: string }> } };
    for (const e of [...sections.xrai.entries, ...sections.directions.strips]) expect((await stat(join(out, e.file))).size).toBeGreaterThan(100);
    // Frame removal ran, or says why not (a barely trained G rarely draws frames).
    expect(summary.numbers.frame_removal_delta_auc !== undefined || summary.skipped['frame removal'] !== undefined || summary.skipped['hyperplane: frame present'] !== undefined).toBe(true);
    await expect(stat(join(out, 'work'))).rejects.toThrow();
  });

  it('frame removal end to end, with a stand-in attribute the barely trained generator does draw (bright images)', async () => {
    // The threshold: the median brightness of the generator's own samples, so both sides exist.
    const { loadGenerator, FolderCheckpointSink } = await import('@dermagan/gan');
    const loaded = await loadGenerator(tf, new FolderCheckpointSink(base.generator!.dir));
    const sample = renderWs(tf, loaded.G, sampleW(tf, loaded.G, { n: 100, seed: 5 }).data as Float32Array, 100);
    loaded.G.ps.dispose();
    const per = 16 * 16 * 3;
    const brightness = (pixels: Uint8Array, i: number) => pixels.subarray(i * per, (i + 1) * per).reduce((s, v) => s + v, 0) / per;
    const cut = Array.from({ length: 100 }, (_, i) => brightness(sample, i)).sort((a, b) => a - b)[50]!;
    const bright = async (pixels: Uint8Array, n: number) => Array.from({ length: n }, (_, i) => brightness(pixels, i) > cut);
    const out = join(dir, 'frame-removal');
    const summary = await runExplanation(tf, info, { ...base, name: 'frames', parts: ['frame-removal'], out, frames: bright });
    expect(summary.skipped).toEqual({});
    const n = summary.numbers;
    expect(n.frame_removal_framed).toBeGreaterThan(5);
    // Moving across the hyperplane removes the attribute from most edited images.
    expect(n.frame_removal_still_framed_share).toBeLessThan(0.5);
    expect(n.frame_removal_delta_auc_low).toBeLessThanOrEqual(n.frame_removal_delta_auc!);
    expect(n.frame_removal_delta_auc_high).toBeGreaterThanOrEqual(n.frame_removal_delta_auc!);
    expect(n.frame_removal_delta_auc).toBeCloseTo(n.frame_removal_auc_frame_free! - n.frame_removal_auc_original!, 10);
  });

  it('throws when …', async () => {
    const out = join(dir, 'bad');
    await writeBlobDataset({ dir: join(dir, 'real32'), size: 32, patientsPerClass: 4, seed: 3 });
    await expect(runExplanation(tf, info, { ...base, real: join(dir, 'real32'), name: 'x', parts: ['embeddings'], out })).rejects.toThrow(/holds 32x32 images but the model was trained on 16x16/);
    await expect(runExplanation(tf, info, { ...base, name: 'x', parts: ['nope' as never], out })).rejects.toThrow(/unknown part "nope"/);
    await expect(runExplanation(tf, info, { ...base, name: 'x', parts: ['embeddings'], options: { perplexity: 3 }, out })).rejects.toThrow(/unknown option "perplexity"/);
  });
});

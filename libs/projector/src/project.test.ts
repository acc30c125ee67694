/**
 * Projection as a whole: it recovers a known latent; an image's result does not depend on the
 * images sharing its batch; a stopped projection continues from every image's saved step and ends
 * where an uninterrupted one ends.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTf, type Tf } from '@dermagan/tf';
import { projectorOptions } from './options.ts';
import { lpipsFeatures } from './lpips-features.ts';
import { pixelFeatures } from './perceptual.ts';
import { projectImages, type ProjectionJob } from './project.ts';
import type { DoneState } from './state.ts';
import { MemoryStateStore } from './state-store.ts';
import { knownLatentTargets, tinyGenerator } from './testing.ts';

let tf: Tf;
beforeAll(async () => {
  tf = (await loadTf()).tf;
});

const distance = (a: Float32Array, aOff: number, b: Float32Array, bOff: number, d: number) => {
  let s = 0;
  for (let j = 0; j < d; j++) s += (a[aOff + j]! - b[bOff + j]!) ** 2;
  return Math.sqrt(s);
};

describe('projection recovers a known latent', () => {
  it('w* without noise inputs, LPIPS-VGG16: LPIPS small and w near w*', async () => {
    const G = tinyGenerator(tf, 16, 7, 0);
    const { targets, wStar } = knownLatentTargets(tf, G, 4, 99);
    const perceptual = await lpipsFeatures(tf);
    const out = await projectImages(tf, { G, perceptual, options: projectorOptions({ steps: 200, batch: 4, wAvgSamples: 2000 }), targets, states: new MemoryStateStore() });
    const wAvg = [...out.wStats.values()][0]!.wAvg;
    const d = G.cfg.wDim;
    out.results.forEach((r, i) => {
      expect(r!.distance).toBeLessThan(1e-3); // LPIPS
      // Relative to how far w* is from where the projection starts (w_avg).
      expect(distance(r!.w, 0, wStar, i * d, d) / distance(wAvg, 0, wStar, i * d, d)).toBeLessThan(0.1);
    });
    perceptual.dispose?.();
    G.ps.dispose();
  });

  it('with noise inputs (optimised maps): a close image, and each w nearest its own w*', async () => {
    const G = tinyGenerator(tf, 16, 7, 0.1);
    const { targets, wStar } = knownLatentTargets(tf, G, 4, 99);
    const out = await projectImages(tf, { G, perceptual: pixelFeatures(tf), options: projectorOptions({ steps: 200, batch: 4, wAvgSamples: 2000 }), targets, states: new MemoryStateStore() });
    const d = G.cfg.wDim;
    out.results.forEach((r, i) => {
      expect(r!.distance).toBeLessThan(2e-3); // RMS pixel error < 0.045
      const own = distance(r!.w, 0, wStar, i * d, d);
      for (let j = 0; j < 4; j++) if (j !== i) expect(own).toBeLessThan(distance(r!.w, 0, wStar, j * d, d));
    });
    G.ps.dispose();
  });
});

describe('batches and resumption', () => {
  const job = (G: ReturnType<typeof tinyGenerator>, targets: ProjectionJob['targets'], batch: number, extra: Partial<ProjectionJob> = {}): ProjectionJob => ({
    G,
    perceptual: pixelFeatures(tf),
    options: projectorOptions({ steps: 30, batch, saveEvery: 7, wAvgSamples: 500, space: 'w+' }),
    targets,
    states: new MemoryStateStore(),
    ...extra,
  });

  it("an image's projection does not depend on the images beside it", async () => {
    const G = tinyGenerator(tf, 16, 3, 0.1);
    const { targets } = knownLatentTargets(tf, G, 3, 5);
    const together = await projectImages(tf, job(G, targets, 3));
    const alone = await projectImages(tf, job(G, [targets[1]!], 1));
    const a = together.results[1]!;
    const b = alone.results[0]!;
    b.w.forEach((v, j) => expect(a.w[j]).toBeCloseTo(v, 4));
    expect(a.distance).toBeCloseTo(b.distance, 6);
    G.ps.dispose();
  });

  it('stopped mid-way, it continues from each saved step and ends as an uninterrupted run', async () => {
    const G = tinyGenerator(tf, 16, 3, 0.1);
    const { targets } = knownLatentTargets(tf, G, 3, 6);
    const whole = await projectImages(tf, job(G, targets, 2));

    const states = new MemoryStateStore();
    const controller = new AbortController();
    const first = await projectImages(
      tf,
      job(G, targets, 2, { states, signal: controller.signal, onProgress: (p) => p.steps >= 2 * 11 && controller.abort() }),
    );
    expect(first.stopped).toBe('aborted');
    const saved = await Promise.all([0, 1, 2].map((i) => states.load(i)));
    expect(saved.map((s) => (s?.kind === 'running' ? s.step : (s?.kind ?? null)))).toEqual([11, 11, null]);

    const second = await projectImages(tf, job(G, targets, 2, { states }));
    expect(second).toMatchObject({ stopped: 'done', resumed: 2, alreadyDone: 0, imageSteps: 3 * 30 - 2 * 11 });
    whole.results.forEach((r, i) => {
      const s = second.results[i] as DoneState;
      r!.w.forEach((v, j) => expect(s.w[j]).toBeCloseTo(v, 5));
      expect(Array.from(s.image)).toEqual(Array.from(r!.image));
    });
    G.ps.dispose();
  });
});

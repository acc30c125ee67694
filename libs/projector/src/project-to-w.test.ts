/** The W projector libs/explain's edge cases use: pixels in memory → one w per image, each near its own w*. */
import { beforeAll, describe, expect, it } from 'vitest';
import type { LoadedGenerator } from '@dermagan/gan';
import { loadTf, type Tf } from '@dermagan/tf';
import { wProjector } from './project-to-w.ts';
import { knownLatentTargets, tinyGenerator } from './testing.ts';

let tf: Tf;
beforeAll(async () => {
  tf = (await loadTf()).tf;
});

describe('wProjector', () => {
  it('returns [n, wDim] codes, each nearer its own w* than the others', async () => {
    const G = tinyGenerator(tf, 16, 7, 0);
    const { targets, wStar } = knownLatentTargets(tf, G, 3, 99);
    const images = new Uint8Array(targets.length * 16 * 16 * 3);
    targets.forEach((t, i) => images.set(t.pixels, i * t.pixels.length));
    const loaded = { G } as LoadedGenerator;
    const w = await wProjector(tf)(loaded, images, 3, 16, new Int32Array(3), { steps: 150, wAvgSamples: 1000, distance: 'pixels-mse' });
    const d = G.cfg.wDim;
    expect(w.length).toBe(3 * d);
    const dist = (i: number, j: number) => Math.hypot(...Array.from({ length: d }, (_, k) => w[i * d + k]! - wStar[j * d + k]!));
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) if (i !== j) expect(dist(i, i)).toBeLessThan(dist(i, j));
    await expect(wProjector(tf)(loaded, images.subarray(0, 32 * 32 * 3), 1, 32, new Int32Array(1), {})).rejects.toThrow(/images are 32² but the generator makes 16²/);
    G.ps.dispose();
  });
});

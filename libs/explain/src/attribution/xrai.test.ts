import { Rng } from '@dermagan/gan';
import { loadTf } from '@dermagan/tf';
import { describe, expect, it } from 'vitest';
import { inferno } from './colormap.ts';
import { channelSum, integratedGradients } from './integrated-gradients.ts';
import { rankRegions, xrai, xraiSegments } from './xrai.ts';

const { tf } = await loadTf();
type Tensor4D = import('@tensorflow/tfjs').Tensor4D;

const SIZE = 64;
/** The region the toy model looks at: rows 8..31, columns 36..59 (a 24×24 square). */
const inRegion = (p: number) => {
  const y = Math.floor(p / SIZE);
  const x = p % SIZE;
  return y >= 8 && y < 32 && x >= 36 && x < 60;
};

/** A picture of four flat colour blocks (one of them exactly the region) with mild noise. */
function toyImage(): Float32Array {
  const rng = new Rng(5);
  const img = new Float32Array(SIZE * SIZE * 3);
  const noise = rng.normal(img.length, 0.02);
  for (let p = 0; p < SIZE * SIZE; p++) {
    const y = Math.floor(p / SIZE);
    const x = p % SIZE;
    const colour = inRegion(p) ? [0.8, 0.3, 0.3] : y < 32 ? [0.3, 0.6, 0.3] : x < 32 ? [0.3, 0.3, 0.7] : [0.6, 0.6, 0.2];
    for (let c = 0; c < 3; c++) img[p * 3 + c] = Math.min(1, Math.max(0, colour[c]! + noise[p * 3 + c]!));
  }
  return img;
}

/** A toy model whose score depends on the region's red channel only. */
const regionWeights = tf.tensor4d(Float32Array.from({ length: SIZE * SIZE * 3 }, (_, i) => (i % 3 === 0 && inRegion(Math.floor(i / 3)) ? 4 / (24 * 24) : 0)), [1, SIZE, SIZE, 3]);
const toyScore = (x: Tensor4D) => tf.sigmoid(tf.sub(tf.sum(tf.mul(x, regionWeights), [1, 2, 3]), 1));

describe('integratedGradients', () => {
  it('is complete: attributions sum to f(x) − f(baseline) (black baseline, 100 steps)', () => {
    const image = toyImage();
    const ig = integratedGradients(tf, toyScore, image, SIZE, 'black', { steps: 100 });
    const f = (img: Float32Array) => tf.tidy(() => toyScore(tf.tensor4d(img, [1, SIZE, SIZE, 3])).dataSync()[0]!);
    const total = channelSum(ig, SIZE).reduce((s, v) => s + v, 0);
    expect(total).toBeCloseTo(f(image) - f(new Float32Array(image.length)), 2);
    for (let p = 0; p < SIZE * SIZE; p++) if (!inRegion(p)) expect(ig[p * 3]).toBe(0);
  });

  it('throws when …', () => {
    expect(() => integratedGradients(tf, toyScore, new Float32Array(5), SIZE, 'black')).toThrow(/Error in integratedGradients: image must be 64×64×3/);
    expect(() => integratedGradients(tf, toyScore, toyImage(), SIZE, 'black', { steps: 1 })).toThrow(/steps must be an integer ≥ 2/);
  });
});

describe('xrai', () => {
  it('ranks the one region the toy model depends on first', () => {
    const result = xrai(tf, toyScore, toyImage(), SIZE, { steps: 40, batch: 20 });
    const first = result.regions[0]!;
    // Most of it lies on the region (segments are dilated by 5 px, so it spills over the border).
    const inside = Array.from(first.pixels).filter(inRegion).length;
    expect(inside / first.pixels.length).toBeGreaterThan(0.6);
    expect(inside / (24 * 24)).toBeGreaterThan(0.5);
    // Every pixel of the region outranks every pixel more than the dilation away from it.
    const far = (p: number) => {
      const y = Math.floor(p / SIZE);
      const x = p % SIZE;
      return y < 8 - 6 || y >= 32 + 6 || x < 36 - 6;
    };
    let minInside = Infinity;
    let maxFar = -Infinity;
    result.saliency.forEach((v, p) => {
      if (inRegion(p)) minInside = Math.min(minInside, v);
      if (far(p)) maxFar = Math.max(maxFar, v);
    });
    expect(minInside).toBeGreaterThan(maxFar);
    expect(first.gain).toBeGreaterThan(result.regions[1]!.gain);
  });

  it('covers every pixel once, and segments are dilated pixel lists inside the image', () => {
    const segments = xraiSegments(toyImage(), SIZE);
    expect(segments.length).toBeGreaterThan(3);
    for (const s of segments) for (const p of s) expect(p >= 0 && p < SIZE * SIZE).toBe(true);
    const attribution = Float32Array.from({ length: SIZE * SIZE }, (_, p) => (inRegion(p) ? 1 : 0));
    const { saliency, regions } = rankRegions(attribution, segments, SIZE);
    expect(regions.reduce((s, r) => s + r.pixels.length, 0)).toBe(SIZE * SIZE);
    expect(saliency.every(Number.isFinite)).toBe(true);
  });
});

describe('inferno', () => {
  it('matches matplotlib at the ends and the middle (±5 of 255)', () => {
    const close = (a: number[], b: number[]) => a.forEach((v, i) => expect(Math.abs(v - b[i]!)).toBeLessThanOrEqual(5));
    close(inferno(0), [0, 0, 4]);
    close(inferno(0.5), [188, 55, 84]);
    close(inferno(1), [252, 255, 164]);
  });
});

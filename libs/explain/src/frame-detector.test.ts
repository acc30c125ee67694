import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { detectFrame, detectFrames } from './frame-detector.ts';

const FIXTURES = new URL('../fixtures/frames/', import.meta.url).pathname;

/** The 100 hand-labelled thumbnails (64×64, a 10-wide sprite in labels.csv order) and their labels. */
async function labelled() {
  const rows = (await readFile(`${FIXTURES}labels.csv`, 'utf8')).trim().split('\n').slice(1).map((l) => l.split(','));
  const { data, info } = await sharp(`${FIXTURES}thumbnails.jpg`).raw().toBuffer({ resolveWithObject: true });
  const S = 64;
  const pixels = new Uint8Array(rows.length * S * S * 3);
  rows.forEach((_, i) => {
    const ox = (i % 10) * S;
    const oy = Math.floor(i / 10) * S;
    for (let y = 0; y < S; y++) pixels.set(data.subarray(((oy + y) * info.width + ox) * 3, ((oy + y) * info.width + ox + S) * 3), (i * S + y) * S * 3);
  });
  return { pixels, labels: rows.map((r) => r[1] === '1'), groups: rows.map((r) => r[2]!), n: rows.length };
}

describe('frame detector on 100 hand-labelled derm-sample images', () => {
  it('precision and recall (numbers in fixtures/frames/README.md)', async () => {
    const { pixels, labels, n } = await labelled();
    const verdicts = await detectFrames(pixels, n, 64);
    let tp = 0;
    let fp = 0;
    let fn = 0;
    verdicts.forEach((v, i) => {
      if (v.frame && labels[i]) tp++;
      else if (v.frame) fp++;
      else if (labels[i]) fn++;
    });
    const precision = tp / (tp + fp);
    const recall = tp / (tp + fn);
    process.stdout.write(`frame detector: tp ${tp} fp ${fp} fn ${fn} precision ${precision.toFixed(3)} recall ${recall.toFixed(3)}\n`);
    expect(precision).toBeGreaterThanOrEqual(0.6);
    expect(recall).toBeGreaterThanOrEqual(0.6);
  });

  it('a synthetic disc on black is framed; a uniform image is not', async () => {
    const s = 32;
    const disc = new Uint8Array(s * s * 3);
    for (let y = 0; y < s; y++) for (let x = 0; x < s; x++) if (Math.hypot(y - 15.5, x - 15.5) < 15) disc.fill(200, (y * s + x) * 3, (y * s + x) * 3 + 3);
    expect((await detectFrame(disc, s)).frame).toBe(true);
    expect((await detectFrame(new Uint8Array(s * s * 3).fill(180), s)).frame).toBe(false);
  });

  it('throws when …', async () => {
    await expect(detectFrame(new Uint8Array(10), 4)).rejects.toThrow(/Error in detectFrame: expected 4×4×3 = 48 bytes, got 10/);
  });
});

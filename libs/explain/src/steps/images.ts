/**
 * Image helpers the steps share: unit-range floats of one image of a set, PNG data URIs for
 * thumbnails, and a seeded sub-sample of rows.
 */
import sharp from 'sharp';
import { Rng } from '@dermagan/gan';
import type { ImageSet } from '@dermagan/classifier';

/** Pixels of row i of a set (uint8 [size, size, 3]). */
export function imageAt(set: Pick<ImageSet, 'pixels' | 'size'>, i: number): Uint8Array {
  const per = set.size * set.size * 3;
  return set.pixels.subarray(i * per, (i + 1) * per);
}

export function toUnit(pixels: Uint8Array): Float32Array {
  return Float32Array.from(pixels, (v) => v / 255);
}

/** A PNG data URI of an RGB image, at most `max` pixels wide. */
export async function thumbnailUri(pixels: Uint8Array, size: number, max = 64): Promise<string> {
  let image = sharp(pixels, { raw: { width: size, height: size, channels: 3 } });
  if (size > max) image = image.resize(max, max);
  return `data:image/png;base64,${(await image.png().toBuffer()).toString('base64')}`;
}

/** Up to `max` of rows [0, n), drawn without replacement from the seed, in ascending order. */
export function sampleRows(n: number, max: number, seed: number): number[] {
  const rows = Array.from({ length: n }, (_, i) => i);
  if (n <= max) return rows;
  const rng = new Rng(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(0, i + 1);
    [rows[i], rows[j]] = [rows[j]!, rows[i]!];
  }
  return rows.slice(0, max).sort((a, b) => a - b);
}

/**
 * Attribution maps as pictures: a map [size, size] scaled to [0, 1] by its own range (or a
 * percentile clip), coloured with inferno, optionally blended over the image; PNG bytes by sharp.
 */
import sharp from 'sharp';
import { inferno } from './colormap.ts';

/** Scale values to [0, 1]: (v − low) / (high − low), low/high the given percentiles (default full range). */
export function normalizeMap(map: Float32Array, lowPercentile = 0, highPercentile = 100): Float32Array {
  const finite = Array.from(map).filter(Number.isFinite).sort((a, b) => a - b);
  if (finite.length === 0) return new Float32Array(map.length);
  const at = (q: number) => finite[Math.min(finite.length - 1, Math.max(0, Math.round((q / 100) * (finite.length - 1))))]!;
  const lo = at(lowPercentile);
  const hi = at(highPercentile);
  const span = hi - lo || 1;
  return Float32Array.from(map, (v) => (Number.isFinite(v) ? Math.min(1, Math.max(0, (v - lo) / span)) : 0));
}

/** RGB bytes [size, size, 3] of a [0, 1] map in inferno, blended with `image` (uint8 RGB) at `alpha` when given. */
export function colourMap(unit: Float32Array, image?: Uint8Array, alpha = 0.6): Uint8Array {
  const out = new Uint8Array(unit.length * 3);
  for (let p = 0; p < unit.length; p++) {
    const [r, g, b] = inferno(unit[p]!);
    const c = [r, g, b];
    for (let k = 0; k < 3; k++) out[p * 3 + k] = image ? Math.round(alpha * c[k]! + (1 - alpha) * image[p * 3 + k]!) : c[k]!;
  }
  return out;
}

/** The image with everything outside a 0/1 mask darkened (the reference's "top 30 %" view). */
export function maskedImage(image: Uint8Array, mask: Uint8Array, dim = 0.15): Uint8Array {
  return Uint8Array.from(image, (v, i) => (mask[Math.floor(i / 3)] ? v : Math.round(v * dim)));
}

/** Tiles of equal size in a grid `cols` wide (2-px white gaps), upscaled by `scale` (nearest), as PNG. */
export async function tilesPng(tiles: Uint8Array[], size: number, cols = tiles.length, scale = 2): Promise<Buffer> {
  const gap = 2;
  const rows = Math.ceil(tiles.length / cols);
  const width = cols * size + (cols - 1) * gap;
  const height = rows * size + (rows - 1) * gap;
  const canvas = new Uint8Array(width * height * 3).fill(255);
  tiles.forEach((tile, t) => {
    const ox = (t % cols) * (size + gap);
    const oy = Math.floor(t / cols) * (size + gap);
    for (let y = 0; y < size; y++) canvas.set(tile.subarray(y * size * 3, (y + 1) * size * 3), ((oy + y) * width + ox) * 3);
  });
  return sharp(canvas, { raw: { width, height, channels: 3 } })
    .resize(width * scale, height * scale, { kernel: 'nearest' })
    .png()
    .toBuffer();
}

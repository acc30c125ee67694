/**
 * The closest pairs side by side: one row per pair, the generated image on the left and its nearest
 * training image on the right (a 2-px gap inside a pair, 8 px between pairs), upscaled with nearest
 * neighbour so small images stay readable. PNG bytes.
 */
import sharp from 'sharp';
import { ProjectorError } from '../errors.ts';

export async function pairGridPng(left: Uint8Array, right: Uint8Array, pairs: ReadonlyArray<readonly [number, number]>, size: number, scale = Math.max(1, Math.round(96 / size))): Promise<Buffer> {
  if (pairs.length === 0) throw new ProjectorError('pairGridPng: no pairs');
  const per = size * size * 3;
  const inner = 2;
  const between = 8;
  const width = 2 * size + inner;
  const height = pairs.length * size + (pairs.length - 1) * between;
  const canvas = new Uint8Array(width * height * 3).fill(255);
  pairs.forEach(([l, r], row) => {
    const oy = row * (size + between);
    for (const [source, index, ox] of [[left, l, 0], [right, r, size + inner]] as const) {
      if ((index + 1) * per > source.length) throw new ProjectorError(`pairGridPng: image ${index} is out of range`);
      for (let y = 0; y < size; y++) canvas.set(source.subarray(index * per + y * size * 3, index * per + (y + 1) * size * 3), ((oy + y) * width + ox) * 3);
    }
  });
  return sharp(canvas, { raw: { width, height, channels: 3 } }).resize(width * scale, height * scale, { kernel: 'nearest' }).png().toBuffer();
}

/** Image `index` of a uint8 NHWC batch as a PNG (upscaled like the grid). */
export async function imagePng(pixels: Uint8Array, index: number, size: number, scale = Math.max(1, Math.round(96 / size))): Promise<Buffer> {
  const per = size * size * 3;
  if ((index + 1) * per > pixels.length) throw new ProjectorError(`imagePng: image ${index} is out of range`);
  return sharp(pixels.subarray(index * per, (index + 1) * per), { raw: { width: size, height: size, channels: 3 } }).resize(size * scale, size * scale, { kernel: 'nearest' }).png().toBuffer();
}

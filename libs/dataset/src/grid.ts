/**
 * Image grids: n images of one uint8 NHWC batch tiled row-major into one PNG (the report's
 * sample grids, the portal's snapshot grids and latent explorer).
 */
import sharp from 'sharp';

/**
 * Tile `count` images from a uint8 NHWC batch (side `size`) into a grid `cols` wide, with a 2-px
 * gap, upscaled by `scale` (nearest neighbour, so small images stay crisp). Returns PNG bytes.
 */
export async function gridPng(pixels: Uint8Array, size: number, count: number, cols = 8, scale = 2): Promise<Buffer> {
  const per = size * size * 3;
  const n = Math.min(count, Math.floor(pixels.length / per));
  if (n === 0) throw new Error('gridPng: no images to tile');
  const rows = Math.ceil(n / cols);
  const gap = 2;
  const width = cols * size + (cols - 1) * gap;
  const height = rows * size + (rows - 1) * gap;
  const canvas = new Uint8Array(width * height * 3).fill(255);
  for (let i = 0; i < n; i++) {
    const ox = (i % cols) * (size + gap);
    const oy = Math.floor(i / cols) * (size + gap);
    for (let y = 0; y < size; y++) {
      const src = i * per + y * size * 3;
      canvas.set(pixels.subarray(src, src + size * 3), ((oy + y) * width + ox) * 3);
    }
  }
  return sharp(canvas, { raw: { width, height, channels: 3 } })
    .resize(width * scale, height * scale, { kernel: 'nearest' })
    .png()
    .toBuffer();
}

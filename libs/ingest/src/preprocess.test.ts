import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preprocessBytes, preprocessFile, sniffFormat } from './preprocess.ts';
import { cmykJpeg, flatPng, greyPng, jpeg, png, pngBomb, rgbaPng, svgWithExternalHref, tiff, truncatedJpeg } from './testing/images.ts';

const opts = { size: 8, minSide: 8 };

/** A solid-colour image, with an optional differently coloured centre band. */
function bands(width: number, height: number, outside: number[], centre: number[], centreSide: number): Promise<Buffer> {
  const data = Buffer.alloc(width * height * 3);
  const left = Math.floor((width - centreSide) / 2);
  const top = Math.floor((height - centreSide) / 2);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inside = x >= left && x < left + centreSide && y >= top && y < top + centreSide;
      data.set(inside ? centre : outside, (y * width + x) * 3);
    }
  }
  return sharp(data, { raw: { width, height, channels: 3 } }).png().toBuffer();
}

function pixelsOf(result: Awaited<ReturnType<typeof preprocessBytes>>): Uint8Array {
  if (!result.ok) throw new Error(`expected ok, got ${result.reason}: ${result.detail}`);
  return result.pixels;
}

describe('preprocessBytes: accepted images', () => {
  it('JPEG 16×16 → 8×8×3 uint8, sha256 of the file bytes, source size reported', async () => {
    const bytes = await jpeg(16, 16);
    const r = await preprocessBytes(bytes, opts);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.pixels).toHaveLength(8 * 8 * 3);
    expect(r.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect([r.width, r.height]).toEqual([16, 16]);
  });

  it('wide 24×8: keeps exactly the centre square (no resize at scale 1)', async () => {
    const px = pixelsOf(await preprocessBytes(await bands(24, 8, [0, 0, 255], [255, 0, 0], 8), opts));
    for (let i = 0; i < px.length; i += 3) expect([px[i], px[i + 1], px[i + 2]]).toEqual([255, 0, 0]);
  });

  it('tall 8×24: keeps exactly the centre square', async () => {
    const px = pixelsOf(await preprocessBytes(await bands(8, 24, [0, 255, 0], [10, 20, 30], 8), opts));
    for (let i = 0; i < px.length; i += 3) expect([px[i], px[i + 1], px[i + 2]]).toEqual([10, 20, 30]);
  });

  it('wide 64×16 → 8 (2× down): the centre square, side bands reach only the 3 px of kernel support at each cut', async () => {
    // Centre 16×16 grey 200 with blue sides. fit=cover resizes the whole row, then crops, so the
    // Lanczos-3 support (±3 output px at 2×) sees beyond the cut; columns 3–4 are clean.
    const px = pixelsOf(await preprocessBytes(await bands(64, 16, [0, 0, 255], [200, 200, 200], 16), opts));
    for (let y = 0; y < 8; y++) {
      for (const x of [3, 4]) {
        const i = (y * 8 + x) * 3;
        for (const v of [px[i]!, px[i + 1]!, px[i + 2]!]) expect(Math.abs(v - 200)).toBeLessThanOrEqual(1);
      }
    }
  });

  it('downscaling agrees with explicit crop-then-resize away from the cut edges', async () => {
    const bytes = await png(48, 32, 5);
    const ours = pixelsOf(await preprocessBytes(bytes, { size: 16, minSide: 8 }));
    const ref = await sharp(bytes).extract({ left: 8, top: 0, width: 32, height: 32 }).resize(16, 16, { kernel: 'lanczos3' }).raw().toBuffer();
    let diff = 0;
    let n = 0;
    for (let y = 0; y < 16; y++) {
      for (let x = 3; x < 13; x++) {
        for (let c = 0; c < 3; c++) diff += Math.abs(ours[(y * 16 + x) * 3 + c]! - ref[(y * 16 + x) * 3 + c]!);
        n += 3;
      }
    }
    expect(diff / n).toBeLessThan(1);
  });

  it('upscales an 8×8 PNG to 32×32 without changing its colours (a flat 4×4 centre in a flat border)', async () => {
    const px = pixelsOf(await preprocessBytes(await bands(8, 8, [200, 60, 30], [90, 140, 40], 4), { size: 32, minSide: 8 }));
    const at = (x: number, y: number) => Array.from(px.subarray((y * 32 + x) * 3, (y * 32 + x) * 3 + 3));
    for (const [x, y] of [[0, 0], [31, 0], [0, 31], [31, 31]]) expect(at(x!, y!)).toEqual([200, 60, 30]);
    for (const [x, y] of [[14, 14], [17, 17], [15, 16]]) expect(at(x!, y!)).toEqual([90, 140, 40]);
  });

  it('greyscale (1 channel) is converted to sRGB with R = G = B', async () => {
    const px = pixelsOf(await preprocessBytes(await greyPng(16, 16), opts));
    for (let i = 0; i < px.length; i += 3) {
      expect(px[i + 1]).toBe(px[i]);
      expect(px[i + 2]).toBe(px[i]);
    }
    expect(new Set(px).size).toBeGreaterThan(1);
  });

  it('CMYK JPEG is converted to 3-channel sRGB close to the RGB it came from', async () => {
    const fromRgb = pixelsOf(await preprocessBytes(await png(16, 16), opts));
    const fromCmyk = pixelsOf(await preprocessBytes(await cmykJpeg(16, 16), opts));
    let sum = 0;
    for (let i = 0; i < fromRgb.length; i++) sum += Math.abs(fromRgb[i]! - fromCmyk[i]!);
    expect(sum / fromRgb.length).toBeLessThan(40); // ICC round trip + JPEG: close, not equal
  });

  it('RGBA is flattened onto black: white at alpha 0.5 becomes ~128', async () => {
    const red = await sharp({ create: { width: 4, height: 4, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 1 } } }).png().toBuffer();
    const white = await sharp({ create: { width: 16, height: 16, channels: 4, background: { r: 255, g: 255, b: 255, alpha: 0.5 } } })
      .composite([{ input: red, left: 0, top: 0 }])
      .png()
      .toBuffer();
    const px = pixelsOf(await preprocessBytes(white, { size: 16, minSide: 8 }));
    for (let y = 4; y < 16; y++) for (let x = 4; x < 16; x++) for (let c = 0; c < 3; c++) expect(Math.abs(px[(y * 16 + x) * 3 + c]! - 128)).toBeLessThanOrEqual(1);
    expect((await preprocessBytes(await rgbaPng(16, 16), opts)).ok).toBe(true);
  });

  it('applies EXIF orientation: left red / right blue, tagged "rotate 90° clockwise", comes out red on top', async () => {
    const data = Buffer.alloc(16 * 8 * 3);
    for (let y = 0; y < 8; y++) for (let x = 0; x < 16; x++) data.set(x < 8 ? [255, 0, 0] : [0, 0, 255], (y * 16 + x) * 3);
    const plain = await sharp(data, { raw: { width: 16, height: 8, channels: 3 } }).jpeg({ quality: 95 }).toBuffer();
    const rotated = await sharp(plain).withMetadata({ orientation: 6 }).jpeg({ quality: 95 }).toBuffer();
    const red = (px: Uint8Array, x: number, y: number) => px[(y * 8 + x) * 3]! > 150 && px[(y * 8 + x) * 3 + 2]! < 100;
    const upright = pixelsOf(await preprocessBytes(rotated, opts));
    expect([red(upright, 0, 0), red(upright, 7, 0), red(upright, 0, 7), red(upright, 7, 7)]).toEqual([true, true, false, false]);
    const asStored = pixelsOf(await preprocessBytes(plain, opts));
    expect([red(asStored, 0, 0), red(asStored, 7, 0)]).toEqual([true, false]);
  });
});

describe('preprocessBytes: quarantine reasons', () => {
  it('empty: 0 bytes', async () => {
    expect(await preprocessBytes(Buffer.alloc(0), opts)).toMatchObject({ ok: false, reason: 'empty' });
  });

  it('not-an-image: a text file', async () => {
    expect(await preprocessBytes(Buffer.from('patient notes, not a picture\n'), opts)).toMatchObject({ ok: false, reason: 'not-an-image' });
  });

  it('truncated: a JPEG cut in half (header intact, scan data ends early)', async () => {
    const r = await preprocessBytes(await truncatedJpeg(64, 64, 0.5), opts);
    expect(r).toMatchObject({ ok: false, reason: 'truncated' });
    expect(!r.ok && r.detail).toMatch(/premature end|truncated/i);
  });

  it('truncated: a JPEG cut inside its header (starts like a JPEG, no decoder can read it)', async () => {
    expect(await preprocessBytes((await jpeg(16, 16)).subarray(0, 20), opts)).toMatchObject({ ok: false, reason: 'truncated' });
  });

  it('truncated: a PNG missing its last bytes', async () => {
    const full = await truncatedJpeg(64, 64, 1);
    const pngBytes = await sharp(full).png().toBuffer();
    expect(await preprocessBytes(pngBytes.subarray(0, pngBytes.length - 40), opts)).toMatchObject({ ok: false, reason: 'truncated' });
  });

  it('unsupported-colour: a TIFF transparency mask (libvips "multiband", no route to sRGB)', async () => {
    expect(await preprocessBytes(tiff(16, 16, 1, 4), opts)).toMatchObject({ ok: false, reason: 'unsupported-colour' });
  });

  it('the same TIFF writer makes an accepted RGB image (so the mask, not the writer, is rejected)', async () => {
    expect((await preprocessBytes(tiff(16, 16, 3, 2), opts)).ok).toBe(true);
  });

  it('too-small: 4×4 under a minimum side of 8, whatever the output size', async () => {
    const r = await preprocessBytes(await png(4, 4), { size: 2, minSide: 8 });
    expect(r).toMatchObject({ ok: false, reason: 'too-small' });
    expect(!r.ok && r.detail).toContain('4×4');
    expect((await preprocessBytes(await png(8, 4), { size: 2, minSide: 4 })).ok).toBe(true);
  });
});

describe('preprocessBytes: hostile and degenerate images', () => {
  it('too-large: a 16000² PNG bomb (100 kB on disk, 256 M pixels decoded) is refused from its header, not decoded', async () => {
    const bomb = pngBomb(16000, 16000);
    expect(bomb.length).toBeLessThan(1_000_000);
    const r = await preprocessBytes(bomb, opts);
    expect(r).toMatchObject({ ok: false, reason: 'too-large' });
    expect(!r.ok && r.detail).toMatch(/16000×16000 = 256000000 pixels, over the limit of 67108864 \(imagePixels\)/);
  });

  it('too-large (not truncated): a 30000² PNG, over libvips\' own pixel limit too', async () => {
    expect(await preprocessBytes(pngBomb(30000, 30000), opts)).toMatchObject({ ok: false, reason: 'too-large' });
  });

  it('too-large: the pixel limit holds for formats whose header libvips reads (a TIFF claiming 20000×20000)', async () => {
    const big = tiff(16, 16, 3, 2);
    big.writeUInt16LE(20000, 8 + 2 + 8); // ImageWidth (SHORT)
    big.writeUInt16LE(20000, 8 + 2 + 12 + 8); // ImageLength
    expect(await preprocessBytes(big, opts)).toMatchObject({ ok: false, reason: 'too-large' });
  });

  it('the limit is an option: the same image is accepted under a larger one, refused under a smaller one', async () => {
    expect((await preprocessBytes(await png(64, 64, 3), { ...opts, limits: { imagePixels: 64 * 64 } })).ok).toBe(true);
    expect(await preprocessBytes(await png(64, 64, 3), { ...opts, limits: { imagePixels: 64 * 64 - 1 } })).toMatchObject({ ok: false, reason: 'too-large' });
  });

  it('blank: an image of one flat colour (a black bomb under a raised limit, a white square) carries no lesion', async () => {
    const r = await preprocessBytes(await flatPng(64, 48, [255, 255, 255]), opts);
    expect(r).toMatchObject({ ok: false, reason: 'blank' });
    expect(!r.ok && r.detail).toMatch(/one flat colour/);
    expect(await preprocessBytes(pngBomb(512, 512), opts)).toMatchObject({ ok: false, reason: 'blank' });
  });

  it('unsupported-format: an SVG with an external href is never handed to a decoder', async () => {
    const r = await preprocessBytes(svgWithExternalHref(), opts);
    expect(r).toMatchObject({ ok: false, reason: 'unsupported-format' });
    expect(!r.ok && r.detail).toMatch(/svg/i);
    expect(await preprocessBytes(Buffer.from('%PDF-1.4\n'), opts)).toMatchObject({ ok: false, reason: 'unsupported-format' });
  });
});

describe('preprocessFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dermagan-preprocess-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('missing-file when the path does not exist', async () => {
    expect(await preprocessFile(join(dir, 'nope.jpg'), opts)).toMatchObject({ ok: false, reason: 'missing-file' });
  });

  it('unreadable when the path cannot be read as a file (a folder named x.jpg)', async () => {
    await mkdir(join(dir, 'folder.jpg'));
    const r = await preprocessFile(join(dir, 'folder.jpg'), opts);
    expect(r).toMatchObject({ ok: false, reason: 'unreadable' });
    expect(!r.ok && r.detail).toContain('EISDIR');
  });

  it('too-large: a file over the byte limit is not read', async () => {
    await writeFile(join(dir, 'big.png'), await png(16, 16));
    const r = await preprocessFile(join(dir, 'big.png'), { ...opts, limits: { imageBytes: 10 } });
    expect(r).toMatchObject({ ok: false, reason: 'too-large' });
    expect(!r.ok && r.detail).toMatch(/bytes, over the limit of 10 \(imageBytes\)/);
  });

  it('reads and preprocesses a file', async () => {
    await writeFile(join(dir, 'a.png'), await png(16, 16));
    expect((await preprocessFile(join(dir, 'a.png'), opts)).ok).toBe(true);
  });
});

describe('sniffFormat', () => {
  it('names JPEG, PNG and TIFF by their magic bytes, null for text', async () => {
    expect(sniffFormat(await jpeg(8, 8))).toBe('jpeg');
    expect(sniffFormat(await png(8, 8))).toBe('png');
    expect(sniffFormat(tiff(8, 8, 3, 2))).toBe('tiff');
    expect(sniffFormat(Buffer.from('hello'))).toBeNull();
  });
});

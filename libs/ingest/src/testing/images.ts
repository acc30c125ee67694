/**
 * Tiny test images made on the fly (tests only): sharp-encoded JPEG/PNG of a deterministic
 * pattern, and a hand-written uncompressed TIFF for layouts sharp will not write (a transparency
 * mask, which libvips reads as an unconvertible 'multiband' image).
 */
import sharp from 'sharp';

/** Deterministic RGB pattern, [height, width, 3] uint8 (a different image per `seed`). */
export function pattern(width: number, height: number, seed = 0): Buffer {
  const out = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      out[i] = (x * 8 + seed * 37) & 255;
      out[i + 1] = (y * 8 + seed * 11) & 255;
      out[i + 2] = ((x ^ y) * 16 + seed * 5) & 255;
    }
  }
  return out;
}

const raw = (width: number, height: number, seed: number) => sharp(pattern(width, height, seed), { raw: { width, height, channels: 3 } });

export function jpeg(width: number, height: number, seed = 0): Promise<Buffer> {
  return raw(width, height, seed).jpeg({ quality: 90 }).toBuffer();
}

export function png(width: number, height: number, seed = 0): Promise<Buffer> {
  return raw(width, height, seed).png().toBuffer();
}

/** Single-channel (b-w) PNG. */
export function greyPng(width: number, height: number, seed = 0): Promise<Buffer> {
  return raw(width, height, seed).toColourspace('b-w').png().toBuffer();
}

/** Four-channel CMYK JPEG. */
export function cmykJpeg(width: number, height: number, seed = 0): Promise<Buffer> {
  return raw(width, height, seed).toColourspace('cmyk').jpeg().toBuffer();
}

/** RGBA PNG with half-transparent alpha. */
export function rgbaPng(width: number, height: number, seed = 0): Promise<Buffer> {
  return raw(width, height, seed).ensureAlpha(0.5).png().toBuffer();
}

/** A JPEG of noise cut to `fraction` of its bytes: the header is intact, the scan data ends early. */
export async function truncatedJpeg(width: number, height: number, fraction = 0.5): Promise<Buffer> {
  const noise = Buffer.alloc(width * height * 3);
  for (let i = 0; i < noise.length; i++) noise[i] = (i * 7919 + (i >> 7) * 104729) % 251;
  const full = await sharp(noise, { raw: { width, height, channels: 3 } }).jpeg({ quality: 95 }).toBuffer();
  return full.subarray(0, Math.floor(full.length * fraction));
}

/**
 * Uncompressed little-endian baseline TIFF, 8 bits per sample, chunky. Photometric 4 is a
 * transparency mask (not a colour image); libvips reads it as 'multiband' and cannot make sRGB of it.
 */
export function tiff(width: number, height: number, samples: number, photometric: number): Buffer {
  const data = Buffer.alloc(width * height * samples);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37) & 255;
  // [tag, type (3 = SHORT, 4 = LONG), value]; BitsPerSample points at an array when samples > 2.
  const entries: Array<[number, 3 | 4, number, number]> = [];
  const ifd = 8;
  const count = 10;
  const ifdSize = 2 + count * 12 + 4;
  const bpsAt = ifd + ifdSize;
  const dataAt = bpsAt + samples * 2;
  entries.push(
    [256, 3, 1, width], [257, 3, 1, height], [258, 3, samples, samples > 2 ? bpsAt : 8], [259, 3, 1, 1],
    [262, 3, 1, photometric], [273, 4, 1, dataAt], [277, 3, 1, samples], [278, 3, 1, height],
    [279, 4, 1, data.length], [284, 3, 1, 1],
  );
  const buf = Buffer.alloc(dataAt + data.length);
  buf.write('II', 0, 'latin1');
  buf.writeUInt16LE(42, 2);
  buf.writeUInt32LE(ifd, 4);
  buf.writeUInt16LE(count, ifd);
  entries.forEach(([tag, type, n, value], k) => {
    const at = ifd + 2 + k * 12;
    buf.writeUInt16LE(tag, at);
    buf.writeUInt16LE(type, at + 2);
    buf.writeUInt32LE(n, at + 4);
    if (type === 3 && n === 1) buf.writeUInt16LE(value, at + 8);
    else if (type === 3 && n === 2) buf.writeUInt32LE(value === 8 ? 0x00080008 : value, at + 8);
    else buf.writeUInt32LE(value, at + 8);
  });
  for (let s = 0; s < samples; s++) buf.writeUInt16LE(8, bpsAt + s * 2);
  data.copy(buf, dataAt);
  return buf;
}

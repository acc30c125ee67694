/**
 * Tiny test images made on the fly (tests only): sharp-encoded JPEG/PNG of a deterministic
 * pattern, and a hand-written uncompressed TIFF for layouts sharp will not write (a transparency
 * mask, which libvips reads as an unconvertible 'multiband' image).
 */
import { crc32, deflateSync } from 'node:zlib';
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

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/**
 * A decompression bomb: a valid 1-bit greyscale PNG of width×height black pixels, a few hundred
 * kB on disk (16000² = 256 M pixels in ~100 kB) that a decoder expands to width·height pixels.
 */
export function pngBomb(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // greyscale
  const rows = Buffer.alloc(height * (1 + Math.ceil(width / 8))); // filter byte 0 + zero bits per row
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(rows, { level: 9 })),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** An SVG whose only content is an image fetched from elsewhere (an external reference). */
export function svgWithExternalHref(url = 'https://attacker.example/x.png'): Buffer {
  return Buffer.from(
    `<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="64" height="64">` +
      `<image xlink:href="${url}" width="64" height="64"/></svg>\n`,
  );
}

/** A flat PNG: every pixel the same colour. */
export function flatPng(width: number, height: number, rgb: [number, number, number] = [0, 0, 0]): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } }).png().toBuffer();
}

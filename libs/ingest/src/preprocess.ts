import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import sharp, { type Metadata, type OutputInfo } from 'sharp';
import type { QuarantineReason } from '@dermagan/dataset';
import { imageSize } from './image-size.ts';

// Every image is new: libvips' operation cache would only hold memory.
sharp.cache(false);

/**
 * One image file → `size`×`size` sRGB uint8 pixels, or the reason it cannot be used.
 *
 * Pipeline (sharp / libvips):
 * 1. decode with `failOn: 'error'` — a truncated or corrupt JPEG/PNG fails instead of being padded
 *    with grey (libvips' 'truncated' level would also pass other decode errors; 'warning' would
 *    reject the many dermoscopy JPEGs with harmless "extraneous bytes" warnings);
 * 2. EXIF orientation applied (`autoOrient`), so a camera's rotated JPEG is upright;
 * 3. alpha flattened onto black (a no-op without alpha), then any colour space libvips knows (greyscale, CMYK, 16-bit,
 *    Lab, an embedded ICC profile) converted to 8-bit sRGB; images it cannot convert (multiband,
 *    a transparency mask, extra non-alpha channels) are `unsupported-colour`;
 * 4. centre crop to a square and resize to `size` in one step: `resize(size, size, {fit: 'cover',
 *    position: 'centre'})` resizes so the short side is `size` and keeps the centre square. This is
 *    centre-crop-then-resize except within the kernel's reach of the two cut edges (3 output px),
 *    where the filter sees the real pixels beyond the cut instead of a clamped edge. Doing it in
 *    one step keeps libvips' JPEG shrink-on-load, which an explicit crop first would disable (a
 *    6000×4000 ISIC image then decodes at 1/8 scale instead of whole). Kernel when shrinking:
 *    Lanczos-3 (libvips `lanczos3`, a = 3, the same windowed sinc as PIL's `Image.LANCZOS`).
 *    When enlarging (a 128² source at size 256) libvips ignores the kernel and interpolates with
 *    its bicubic interpolator (vips_affine; lanczos3, cubic and mitchell give identical bytes),
 *    where PIL would use Lanczos-3: a slightly softer, ringing-free upscale. For large downscales
 *    libvips first lets the JPEG decoder shrink by 2/4/8 in the DCT domain and box-shrinks by an
 *    integer factor, then Lanczos-3 does the rest; `fastShrinkOnLoad: false` keeps at least a 2×
 *    Lanczos step after the DCT shrink (no moiré from the DCT shrink alone).
 * 5. raw RGB bytes, row-major [size, size, 3].
 */
export interface PreprocessOptions {
  /** Output side in pixels (square). */
  size: number;
  /** Smallest accepted source side in pixels (the shorter of width and height); smaller is `too-small`. */
  minSide: number;
}

export type PreprocessResult =
  | {
      ok: true;
      /** uint8 RGB, [size, size, 3]. */
      pixels: Uint8Array;
      /** SHA-256 of the file's bytes (the exact-duplicate key). */
      sha256: string;
      /** Source width and height in pixels, as stored (before EXIF orientation). */
      width: number;
      height: number;
    }
  | { ok: false; reason: QuarantineReason; detail: string; sha256?: string };

/** Magic numbers of the formats sharp decodes: a file that starts like one but fails is truncated, not "not an image". */
const MAGIC: Array<{ format: string; bytes: number[]; offset?: number }> = [
  { format: 'jpeg', bytes: [0xff, 0xd8, 0xff] },
  { format: 'png', bytes: [0x89, 0x50, 0x4e, 0x47] },
  { format: 'gif', bytes: [0x47, 0x49, 0x46, 0x38] },
  { format: 'tiff', bytes: [0x49, 0x49, 0x2a, 0x00] },
  { format: 'tiff', bytes: [0x4d, 0x4d, 0x00, 0x2a] },
  { format: 'webp', bytes: [0x57, 0x45, 0x42, 0x50], offset: 8 },
];

export function sniffFormat(bytes: Uint8Array): string | null {
  for (const m of MAGIC) {
    const at = m.offset ?? 0;
    if (bytes.length >= at + m.bytes.length && m.bytes.every((b, i) => bytes[at + i] === b)) return m.format;
  }
  return null;
}

/** libvips messages that mean "I cannot make sRGB out of this", as opposed to decode failures. */
const COLOUR_ERROR = /no known route|colourspace|channel limit|interpretation/i;

/** Quarantine result for bytes libvips cannot read a header from: truncated if they start like an image. */
function unreadableHeader(bytes: Uint8Array, err: unknown, sha256: string): PreprocessResult {
  const format = sniffFormat(bytes);
  return format === null
    ? { ok: false, reason: 'not-an-image', detail: (err as Error).message, sha256 }
    : { ok: false, reason: 'truncated', detail: `${format} header unreadable: ${(err as Error).message}`, sha256 };
}

/** Preprocess the bytes of one image (already read). */
export async function preprocessBytes(bytes: Uint8Array, options: PreprocessOptions): Promise<PreprocessResult> {
  if (bytes.length === 0) return { ok: false, reason: 'empty', detail: 'the file has 0 bytes' };
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const input = { failOn: 'error' as const };

  // Header: JPEG and PNG sizes are read in JS; anything else asks libvips (is it an image at all?).
  let size: { width: number; height: number; format: string } | null = imageSize(bytes);
  let meta: Metadata | undefined;
  if (size === null) {
    try {
      meta = await sharp(bytes, input).metadata();
    } catch (err) {
      return unreadableHeader(bytes, err, sha256);
    }
    if (meta.width === undefined || meta.height === undefined) {
      return { ok: false, reason: 'not-an-image', detail: `${meta.format} without dimensions`, sha256 };
    }
    if (meta.space === 'multiband' || meta.space === 'fourier' || meta.space === 'histogram' || meta.space === 'matrix') {
      return { ok: false, reason: 'unsupported-colour', detail: `${meta.format} in colour space ${meta.space} with ${meta.channels} channel(s)`, sha256 };
    }
    size = { width: meta.width, height: meta.height, format: meta.format };
  }
  const { width, height } = size;
  if (Math.min(width, height) < options.minSide) {
    return { ok: false, reason: 'too-small', detail: `${width}×${height}, the shorter side is under ${options.minSide} px`, sha256 };
  }

  // Decode, orient, flatten (a no-op without alpha), convert, crop, resize.
  const pipeline = sharp(bytes, input)
    .autoOrient()
    .flatten({ background: { r: 0, g: 0, b: 0 } })
    .toColourspace('srgb')
    .resize(options.size, options.size, { fit: 'cover', position: 'centre', kernel: 'lanczos3', fastShrinkOnLoad: false })
    .raw({ depth: 'uchar' });
  let out: { data: Buffer; info: OutputInfo };
  try {
    out = await pipeline.toBuffer({ resolveWithObject: true });
  } catch (err) {
    // Only now, on the failure path, does the libvips header tell a colour problem from a decode one.
    if (meta === undefined) {
      try {
        meta = await sharp(bytes, input).metadata();
      } catch (headerErr) {
        return unreadableHeader(bytes, headerErr, sha256);
      }
    }
    const message = (err as Error).message;
    return COLOUR_ERROR.test(message)
      ? { ok: false, reason: 'unsupported-colour', detail: `${meta.space} (${meta.channels} channels): ${message}`, sha256 }
      : { ok: false, reason: 'truncated', detail: `${meta.format}: ${message}`, sha256 };
  }
  const { info } = out;
  if (info.channels !== 3) {
    return { ok: false, reason: 'unsupported-colour', detail: `${size.format} gives ${info.channels} channels after sRGB conversion, expected 3`, sha256 };
  }
  if (info.width !== options.size || info.height !== options.size || out.data.length !== options.size * options.size * 3) {
    throw new Error(`preprocessBytes: sharp returned ${info.width}×${info.height}×${info.channels} (${out.data.length} bytes), expected ${options.size}×${options.size}×3`);
  }
  return { ok: true, pixels: new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.length), sha256, width, height };
}

/** Read and preprocess one file; a missing file is `missing-file`, any other read failure `unreadable`. */
export async function preprocessFile(file: string, options: PreprocessOptions): Promise<PreprocessResult> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    return { ok: false, reason: code === 'ENOENT' ? 'missing-file' : 'unreadable', detail: `${file}: ${code}` };
  }
  return preprocessBytes(bytes, options);
}

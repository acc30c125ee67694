import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import sharp, { type Metadata, type OutputInfo } from 'sharp';
import type { QuarantineReason } from '@dermagan/dataset';
import { imageSize } from './image-size.ts';
import { resolveLimits, type IngestLimits } from './limits.ts';

// Every image is new: libvips' operation cache would only hold memory.
sharp.cache(false);

/**
 * One image file → `size`×`size` sRGB uint8 pixels, or the reason it cannot be used.
 *
 * Before any decoder sees the bytes: only JPEG, PNG, TIFF, WebP and GIF (by their magic numbers)
 * reach libvips, so an SVG with external references, a PDF or anything else is
 * `unsupported-format` or `not-an-image`; a file over `limits.imageBytes` is not read, and an image
 * whose header claims more than `limits.imagePixels` pixels is `too-large` (a PNG "bomb" of
 * 16000² is 100 kB on disk), with libvips' own input limit set to the same number as a backstop.
 * After decoding, an image of one flat colour is `blank`.
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
  /** imagePixels and imageBytes (undefined = INGEST_LIMITS). */
  limits?: Partial<IngestLimits> | undefined;
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

/** Formats recognised only to be refused by name (never decoded): text-based and document formats libvips could load. */
const REFUSED: Array<{ format: string; test: RegExp }> = [
  { format: 'svg', test: /^\s*(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*(<!DOCTYPE svg[^>]*>\s*)?<svg[\s>]/i },
  { format: 'xml', test: /^\s*<\?xml/ },
  { format: 'pdf', test: /^%PDF-/ },
];

/** The name of a format that is refused outright, or null. */
function refusedFormat(bytes: Uint8Array): string | null {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 4096)).toString('latin1');
  return REFUSED.find((r) => r.test.test(head))?.format ?? null;
}

/** Largest minus smallest value over every channel of every pixel at which an image counts as one flat colour. */
const BLANK_RANGE = 2;

/** True when every value of the RGB pixels lies within BLANK_RANGE of each other (one flat colour). */
function isBlank(pixels: Uint8Array): boolean {
  let lo = 255;
  let hi = 0;
  for (let i = 0; i < pixels.length; i++) {
    const v = pixels[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
    if (hi - lo > BLANK_RANGE) return false;
  }
  return true;
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

/** libvips' message when an input is over `limitInputPixels`. */
const PIXEL_LIMIT_ERROR = /exceeds pixel limit/i;

/** Preprocess the bytes of one image (already read). */
export async function preprocessBytes(bytes: Uint8Array, options: PreprocessOptions): Promise<PreprocessResult> {
  if (bytes.length === 0) return { ok: false, reason: 'empty', detail: 'the file has 0 bytes' };
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const { imagePixels, imageBytes } = resolveLimits(options.limits);
  if (bytes.length > imageBytes) return { ok: false, reason: 'too-large', detail: `${bytes.length} bytes, over the limit of ${imageBytes} (imageBytes)`, sha256 };

  // Only the raster formats dermoscopy comes in reach a decoder.
  if (sniffFormat(bytes) === null) {
    const refused = refusedFormat(bytes);
    return refused !== null
      ? { ok: false, reason: 'unsupported-format', detail: `${refused.toUpperCase()} is not read: dermagan decodes only JPEG, PNG, TIFF, WebP and GIF`, sha256 }
      : { ok: false, reason: 'not-an-image', detail: 'not JPEG, PNG, TIFF, WebP or GIF (by its first bytes)', sha256 };
  }
  const input = { failOn: 'error' as const, limitInputPixels: imagePixels };
  const tooLarge = (width: number, height: number): PreprocessResult => ({
    ok: false,
    reason: 'too-large',
    detail: `${width}×${height} = ${width * height} pixels, over the limit of ${imagePixels} (imagePixels)`,
    sha256,
  });

  // Header: JPEG and PNG sizes are read in JS; anything else asks libvips (is it an image at all?).
  let size: { width: number; height: number; format: string } | null = imageSize(bytes);
  let meta: Metadata | undefined;
  if (size === null) {
    try {
      meta = await sharp(bytes, { ...input, limitInputPixels: false }).metadata();
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
  if (width * height > imagePixels) return tooLarge(width, height);
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
        meta = await sharp(bytes, { ...input, limitInputPixels: false }).metadata();
      } catch (headerErr) {
        return unreadableHeader(bytes, headerErr, sha256);
      }
    }
    const message = (err as Error).message;
    if (PIXEL_LIMIT_ERROR.test(message)) return tooLarge(meta.width ?? width, meta.height ?? height);
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
  const pixels = new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.length);
  if (isBlank(pixels)) return { ok: false, reason: 'blank', detail: `${width}×${height} ${size.format} of one flat colour (every value within ${BLANK_RANGE} levels)`, sha256 };
  return { ok: true, pixels, sha256, width, height };
}

/**
 * Read and preprocess one file; a missing file is `missing-file`, a file over `limits.imageBytes`
 * `too-large` (not read), any other read failure `unreadable`. The last path component is opened
 * without following a link (sources resolve links that stay inside their folder beforehand).
 */
export async function preprocessFile(file: string, options: PreprocessOptions): Promise<PreprocessResult> {
  const { imageBytes } = resolveLimits(options.limits);
  let bytes: Buffer;
  try {
    const fh = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      const { size } = await fh.stat();
      if (size > imageBytes) return { ok: false, reason: 'too-large', detail: `${file}: ${size} bytes, over the limit of ${imageBytes} (imageBytes)` };
      bytes = await fh.readFile();
    } finally {
      await fh.close();
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    return { ok: false, reason: code === 'ENOENT' ? 'missing-file' : 'unreadable', detail: `${file}: ${code}` };
  }
  return preprocessBytes(bytes, options);
}

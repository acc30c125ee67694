import { IngestError } from './errors.ts';

/**
 * What ingest is willing to read, in one place. Each limit is far above what a real dermoscopy
 * source needs and low enough that a hostile or broken file cannot exhaust memory or time: an
 * image over a limit is quarantined as `too-large`; a CSV over one is an IngestError naming the
 * limit. Change them with `IngestOptions.limits`, or `dermagan ingest --limit name=value`.
 */
export interface IngestLimits {
  /**
   * Largest image in pixels (width × height as its header says), checked before decoding.
   * 8192² = 67 M: 2.8× the largest ISIC 2020 image (6000×4000); its RGB pixels are 192 MiB, and
   * `concurrency` images are decoded at once. A 16000² PNG "bomb" is 100 kB on disk.
   */
  imagePixels: number;
  /** Largest image file in bytes (checked before reading): 256 MiB, ~25× an ISIC JPEG at 6000×4000 and an 8-bit TIFF of 85 M pixels. */
  imageBytes: number;
  /** Largest metadata CSV in bytes: 64 MiB, 25× ISIC 2020 train.csv (2.6 MB for 33,126 rows). */
  csvBytes: number;
  /** Longest CSV line in bytes: 64 KiB (a metadata row is ~100 bytes; ISIC's longest are a few hundred). */
  csvLineBytes: number;
  /** Most CSV columns: 256 (ISIC 2020 has 8, HAM10000 7, an ISIC archive export ~30). */
  csvColumns: number;
}

export const INGEST_LIMITS: Readonly<IngestLimits> = Object.freeze({
  imagePixels: 8192 * 8192,
  imageBytes: 256 * 2 ** 20,
  csvBytes: 64 * 2 ** 20,
  csvLineBytes: 64 * 2 ** 10,
  csvColumns: 256,
});

export const LIMIT_NAMES = Object.keys(INGEST_LIMITS) as Array<keyof IngestLimits>;

/** The defaults with `overrides` applied; every value must be a positive integer. */
export function resolveLimits(overrides: Partial<IngestLimits> = {}): IngestLimits {
  const limits = { ...INGEST_LIMITS, ...overrides };
  for (const name of LIMIT_NAMES) {
    const v = limits[name];
    if (!Number.isSafeInteger(v) || v <= 0) throw new IngestError(`ingest limit ${name} must be a positive integer, got ${v}`);
  }
  return limits;
}

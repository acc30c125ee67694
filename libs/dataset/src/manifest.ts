import { z } from 'zod';
import { relativeSegments } from '@dermagan/safe-io';

/**
 * The dataset format every dermagan service reads and writes: a folder with `manifest.json` and
 * `shards/shard-NNNNN.npy` (uint8, [n, size, size, 3], NHWC, RGB). Ingest writes it from real
 * images, the generator writes it from a GAN; the trainer, classifier and metrics read it.
 */
export const DATASET_FORMAT = 'dermagan.dataset/v1';

/** Where an image's pixels are: row `index` of shard file `shard` (index into `manifest.shards`). */
export const ImageEntry = z.object({
  /** Source id (ISIC image name, file stem, or a generated id such as `seed000042`). */
  id: z.string().min(1),
  /** Patient id; images without one are their own group (`id` is used). */
  patient: z.string().min(1),
  /** Class index into `manifest.labels`. */
  label: z.number().int().nonnegative(),
  /** `train` / `test` after a patient-grouped split, `all` with `--split none`. */
  split: z.enum(['train', 'test', 'all']),
  /** Federation tenant (`tenant-0`, …) or null when the dataset was not partitioned. */
  tenant: z.string().nullable(),
  /** SHA-256 of the source file's bytes (the exact-duplicate key). */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  shard: z.number().int().nonnegative(),
  index: z.number().int().nonnegative(),
});
export type ImageEntry = z.infer<typeof ImageEntry>;

/** A path relative to the dataset folder that stays inside it (see relativeSegments in @dermagan/safe-io). */
const InsidePath = z.string().superRefine((path, ctx) => {
  try {
    relativeSegments(path, 'shard');
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

export const ShardEntry = z.object({
  /** Path relative to the dataset folder (inside it: no '..', not absolute). */
  file: InsidePath,
  count: z.number().int().nonnegative(),
  /** SHA-256 of the shard file. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type ShardEntry = z.infer<typeof ShardEntry>;

export const QuarantineReason = z.enum([
  'unreadable', // the file exists but cannot be read (permissions, I/O error)
  'empty', // zero bytes
  'not-an-image', // no decoder recognises it
  'truncated', // a recognised image whose data ends early or is corrupt
  'unsupported-colour', // a colour space that cannot be converted to sRGB
  'too-small', // smaller than the minimum side
  'duplicate', // same content hash as an earlier image (the first is kept)
  'missing-file', // a CSV row whose image file does not exist
  'missing-label', // a row without a usable label
  'too-large', // over an ingest limit: more pixels (by its header) or more bytes than allowed
  'blank', // one flat colour: nothing of a lesion to learn from
  'unsupported-format', // a format dermagan does not decode (SVG, PDF, …): only JPEG, PNG, TIFF, WebP and GIF
  'outside-source', // a link out of the source folder, not followed
]);
export type QuarantineReason = z.infer<typeof QuarantineReason>;

export const QuarantineEntry = z.object({
  id: z.string(),
  reason: QuarantineReason,
  /** Human-readable detail (decoder message, the id it duplicates, …). */
  detail: z.string().optional(),
});
export type QuarantineEntry = z.infer<typeof QuarantineEntry>;

export const DatasetManifest = z.object({
  format: z.literal(DATASET_FORMAT),
  /** Free-form name, e.g. `derm-sample` or `synthetic-cgan-seed0`. */
  name: z.string(),
  createdAt: z.string(),
  /** Side of the square images in pixels. */
  size: z.number().int().positive(),
  /** Class names by index, e.g. ['benign', 'malignant']. */
  labels: z.array(z.string()).min(1),
  /** Where the images came from. */
  source: z.object({
    kind: z.enum(['isic2020', 'ham10000', 'derm-sample', 'folders', 'generated']),
    /** The CSV or folder given (informational). */
    path: z.string().optional(),
    /** For generated data: the checkpoint, seeds and truncation that made it. */
    generator: z.record(z.string(), z.unknown()).optional(),
  }),
  split: z.union([
    z.object({ kind: z.literal('none') }),
    z.object({ kind: z.literal('patient-grouped'), train: z.number().gt(0).lt(1), seed: z.number().int() }),
  ]),
  /** Tenant names and their requested sizes, when partitioned for federation. */
  tenants: z.array(z.object({ name: z.string(), requested: z.number().int().nonnegative().nullable() })).nullable(),
  /** Per-channel mean and std of the pixels in [0, 1] (train split, or all). */
  stats: z.object({ mean: z.array(z.number()).length(3), std: z.array(z.number()).length(3) }),
  /** SHA-256 over the sorted image hashes, the size and the labels: equal data, equal fingerprint. */
  fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
  shards: z.array(ShardEntry),
  images: z.array(ImageEntry),
  quarantine: z.array(QuarantineEntry),
});
export type DatasetManifest = z.infer<typeof DatasetManifest>;

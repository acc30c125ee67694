import { z } from 'zod';

/**
 * A reference to an object in the artifact store. Every event that points at data carries one:
 * the consumer fetches `bucket/key` and verifies `sha256` and `size` before it trusts the bytes.
 */
export const ArtifactRef = z.object({
  /** Bucket (S3) or top-level folder (local store). */
  bucket: z.string().min(1),
  /** Object key inside the bucket, '/'-separated, no leading slash. */
  key: z.string().min(1).refine((k) => !k.startsWith('/') && !k.split('/').includes('..'), {
    message: 'key must be relative and must not contain ".." segments',
  }),
  /** Lower-case hex SHA-256 of the object's bytes. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'sha256 must be 64 lower-case hex characters'),
  /** Size in bytes. */
  size: z.number().int().nonnegative(),
  /** MIME type, when known. */
  contentType: z.string().optional(),
});
export type ArtifactRef = z.infer<typeof ArtifactRef>;

/** The key layout shared by every service (ARCHITECTURE.md, "Artifacts"). */
export const ArtifactPrefix = {
  datasets: 'datasets/',
  runs: 'runs/',
  federations: 'federations/',
  synthetic: 'synthetic/',
  classifiers: 'classifiers/',
  projections: 'projections/',
  explanations: 'explanations/',
  reports: 'reports/',
  portal: 'portal/',
} as const;

/** A folder-shaped artifact (a dataset, a checkpoint, a model): its prefix and its manifest's reference. */
export const FolderRef = z.object({
  bucket: z.string().min(1),
  /** Prefix of every file of the folder, e.g. `datasets/derm-sample-64/`. */
  prefix: z.string().min(1),
  /** The folder's manifest (its hash pins the whole folder: the manifest lists every file's hash). */
  manifest: ArtifactRef,
});
export type FolderRef = z.infer<typeof FolderRef>;

/** Where a service writes its output: bucket and prefix. */
export const OutputLocation = z.object({ bucket: z.string().min(1), prefix: z.string().min(1) });
export type OutputLocation = z.infer<typeof OutputLocation>;

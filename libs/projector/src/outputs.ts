/**
 * A finished projection's files: the latents (`w.npy` and `noise/`, latent-files.ts: with the
 * checkpoint they reproduce the projected images), `projected/` (the projected images as a dermagan
 * dataset: same ids, patients, labels, splits and tenants as the originals) and `projections.csv`
 * (id,patient,label,distance,mse,cosine).
 */
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DatasetWriter, type DatasetManifest, type ImageEntry } from '@dermagan/dataset';
import type { Generator } from '@dermagan/gan';
import { csvText } from './csv.ts';
import { LATENT_FILES, writeLatents } from './latent-files.ts';
import type { DoneState } from './state.ts';

export const OUTPUT_FILES = { ...LATENT_FILES, projected: 'projected', csv: 'projections.csv', summary: 'projection.json' } as const;

/** One projected image's numbers. */
export interface ProjectionRow {
  id: string;
  patient: string;
  label: number;
  /** Perceptual distance to its projection (the projector's space). */
  distance: number;
  /** Mean squared pixel difference, pixels in [0, 1]. */
  mse: number;
  /** 1 − cos in the classifier embedding (null without a classifier). */
  cosine: number | null;
}

export interface OutputInput {
  dir: string;
  source: DatasetManifest;
  entries: readonly ImageEntry[];
  results: readonly DoneState[];
  G: Generator;
  cosine: Float64Array | null;
  /** Recorded as the projected dataset's source.generator. */
  provenance: Record<string, unknown>;
}

/**
 * Images made from other images (image i from entries[i]) as a dataset folder that keeps each
 * original's id, patient, label, split and tenant, and the source dataset's labels, split and
 * tenants; `provenance` is recorded as source.generator.
 */
export async function writeImagesOf(
  dir: string,
  source: DatasetManifest,
  entries: readonly ImageEntry[],
  image: (i: number) => Uint8Array,
  name: string,
  provenance: Record<string, unknown>,
): Promise<DatasetManifest> {
  const writer = await DatasetWriter.create({ dir, size: source.size });
  for (const [i, e] of entries.entries()) {
    const pixels = image(i);
    await writer.append(pixels, { id: e.id, patient: e.patient, label: e.label, split: e.split, tenant: e.tenant, sha256: createHash('sha256').update(pixels).digest('hex') });
  }
  return writer.finish({ name, labels: source.labels, source: { kind: 'generated', generator: provenance }, split: source.split, tenants: source.tenants });
}

export interface WrittenOutputs {
  rows: ProjectionRow[];
  /** sha256 of the latent files by their path in the folder (w.npy, noise/<buffer>.npy). */
  files: Record<string, string>;
}

export async function writeOutputs(input: OutputInput): Promise<WrittenOutputs> {
  const { dir, entries, results } = input;
  const files = await writeLatents(dir, input.G, results);

  // The projected images as a dataset.
  await writeImagesOf(join(dir, OUTPUT_FILES.projected), input.source, entries, (i) => results[i]!.image, `projection-of-${input.source.name}`, input.provenance);

  // Per-image numbers.
  const rows = results.map((r, i): ProjectionRow => {
    const e = entries[i]!;
    return { id: e.id, patient: e.patient, label: e.label, distance: r.distance, mse: r.mse, cosine: input.cosine ? input.cosine[i]! : null };
  });
  await writeFile(join(dir, OUTPUT_FILES.csv), csvText(['id', 'patient', 'label', 'distance', 'mse', 'cosine'], rows.map((r) => [r.id, r.patient, r.label, r.distance, r.mse, r.cosine])));
  return { rows, files };
}

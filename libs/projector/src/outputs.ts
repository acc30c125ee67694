/**
 * A finished projection's files: `w.npy` (float32 [n, numWs, wDim], ready for the synthesis network,
 * as projector.py's projected_w), `projected/` (the projected images as a dermagan dataset: same ids,
 * patients, labels, splits and tenants as the originals) and `projections.csv`
 * (id,patient,label,distance,mse,cosine).
 */
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DatasetWriter, type DatasetManifest, type ImageEntry } from '@dermagan/dataset';
import { writeNpy } from '@dermagan/npy';
import { csvText } from './csv.ts';
import type { DoneState } from './state.ts';

export const OUTPUT_FILES = { w: 'w.npy', projected: 'projected', csv: 'projections.csv', summary: 'projection.json' } as const;

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
  numWs: number;
  wDim: number;
  resolution: number;
  cosine: Float64Array | null;
  /** Recorded as the projected dataset's source.generator. */
  provenance: Record<string, unknown>;
}

export async function writeOutputs(input: OutputInput): Promise<ProjectionRow[]> {
  const { dir, entries, results, numWs, wDim } = input;
  const n = results.length;

  // w, broadcast to every layer in W space.
  const w = new Float32Array(n * numWs * wDim);
  results.forEach((r, i) => {
    const k = r.w.length / wDim;
    for (let l = 0; l < numWs; l++) w.set(r.w.subarray((k === 1 ? 0 : l) * wDim, (k === 1 ? 1 : l + 1) * wDim), (i * numWs + l) * wDim);
  });
  await writeNpy(join(dir, OUTPUT_FILES.w), { dtype: 'float32', shape: [n, numWs, wDim], data: w });

  // The projected images as a dataset.
  const writer = await DatasetWriter.create({ dir: join(dir, OUTPUT_FILES.projected), size: input.resolution });
  for (const [i, r] of results.entries()) {
    const e = entries[i]!;
    await writer.append(r.image, { id: e.id, patient: e.patient, label: e.label, split: e.split, tenant: e.tenant, sha256: createHash('sha256').update(r.image).digest('hex') });
  }
  await writer.finish({
    name: `projection-of-${input.source.name}`,
    labels: input.source.labels,
    source: { kind: 'generated', generator: input.provenance },
    split: input.source.split,
    tenants: input.source.tenants,
  });

  // Per-image numbers.
  const rows = results.map((r, i): ProjectionRow => {
    const e = entries[i]!;
    return { id: e.id, patient: e.patient, label: e.label, distance: r.distance, mse: r.mse, cosine: input.cosine ? input.cosine[i]! : null };
  });
  await writeFile(join(dir, OUTPUT_FILES.csv), csvText(['id', 'patient', 'label', 'distance', 'mse', 'cosine'], rows.map((r) => [r.id, r.patient, r.label, r.distance, r.mse, r.cosine])));
  return rows;
}

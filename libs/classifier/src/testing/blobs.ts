/**
 * Tiny synthetic datasets for tests: a separable task (a bright blob = positive, a dark blob =
 * negative, on noisy grey), written in the dermagan dataset format with the dataset writer.
 */
import { createHash } from 'node:crypto';
import { DatasetWriter, type DatasetManifest } from '@dermagan/dataset';
import { Rng } from '../rng.ts';

export interface BlobDatasetOptions {
  dir: string;
  /** Image side in pixels. */
  size: number;
  /** Patients per class; each has `imagesPerPatient` images of its class. */
  patientsPerClass: number;
  imagesPerPatient?: number;
  /** Fraction of patients in the test split; 0 = ingested without a split ('all'). */
  testFraction?: number;
  seed: number;
  /** Class names (default benign, malignant). */
  labels?: string[];
  /** Only these classes get images (default both): makes an empty class. */
  classes?: number[];
  /** 'generated' makes a synthetic dataset (source.kind). */
  kind?: DatasetManifest['source']['kind'];
  /** Prefix of ids and patients (keeps datasets apart). */
  prefix?: string;
}

/** One size×size×3 image: grey noise with a Gaussian blob, brighter (label 1) or darker (label 0). */
export function blobImage(rng: Rng, size: number, label: number): Uint8Array {
  const px = new Uint8Array(size * size * 3);
  const cx = size * (0.3 + 0.4 * rng.next());
  const cy = size * (0.3 + 0.4 * rng.next());
  const r = size * 0.18;
  const sign = label === 1 ? 1 : -1;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const blob = 90 * Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * r * r));
      for (let c = 0; c < 3; c++) {
        const v = 128 + sign * blob + (rng.next() - 0.5) * 60;
        px[(y * size + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  }
  return px;
}

export async function writeBlobDataset(options: BlobDatasetOptions): Promise<DatasetManifest> {
  const rng = new Rng(options.seed);
  const per = options.imagesPerPatient ?? 2;
  const testFraction = options.testFraction ?? 0.25;
  const prefix = options.prefix ?? 'img';
  const writer = await DatasetWriter.create({ dir: options.dir, size: options.size, shardSize: 64 });
  const placement: Array<{ split: 'train' | 'test' | 'all'; tenant: null }> = [];
  for (const label of options.classes ?? [0, 1]) {
    for (let p = 0; p < options.patientsPerClass; p++) {
      const split = testFraction === 0 ? 'all' : p < Math.round(testFraction * options.patientsPerClass) ? 'test' : 'train';
      for (let k = 0; k < per; k++) {
        const pixels = blobImage(rng, options.size, label);
        const id = `${prefix}-${label}-${p}-${k}`;
        await writer.append(pixels, { id, patient: `${prefix}-patient-${label}-${p}`, label, sha256: createHash('sha256').update(pixels).update(id).digest('hex') });
        placement.push({ split, tenant: null });
      }
    }
  }
  return writer.finish({
    name: `blobs-${options.seed}`,
    labels: options.labels ?? ['benign', 'malignant'],
    source: { kind: options.kind ?? 'folders' },
    split: testFraction === 0 ? { kind: 'none' } : { kind: 'patient-grouped', train: 1 - testFraction, seed: options.seed },
    tenants: null,
    placement,
  });
}

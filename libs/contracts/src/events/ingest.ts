import { z } from 'zod';
import { FolderRef } from '../artifact.ts';
import { defineEvent } from '../event.ts';

/** Ingest: a source becomes a dataset folder (services/ingest). */

export const IngestRequested = defineEvent(
  'org.dermagan.ingest.requested.v1',
  z.object({
    /** Where the source is: a CSV (ISIC 2020 train.csv, HAM10000 metadata, derm-sample metadata.csv) or a folder per class. */
    source: z.object({
      kind: z.enum(['auto', 'isic2020', 'ham10000', 'derm-sample', 'folders']).default('auto'),
      /** Path on the ingest service's filesystem (hospital-local data never travels through the bus). */
      path: z.string().min(1),
      /** Image folder when it is not beside the CSV. */
      images: z.string().optional(),
    }),
    /** Output location in the store. */
    output: z.object({ bucket: z.string().min(1), prefix: z.string().min(1) }),
    size: z.number().int().min(8).max(1024).default(256),
    /** Train fraction for the patient-grouped split, or null for no split. */
    split: z.number().gt(0).lt(1).nullable().default(0.8),
    seed: z.number().int().default(0),
    /** Tenant count or explicit tenant sizes; null for no federation partition. */
    tenants: z.union([z.number().int().positive(), z.array(z.number().int().positive()).min(1)]).nullable().default(null),
    minSide: z.number().int().positive().optional(),
  }),
);

export const DatasetIngested = defineEvent(
  'org.dermagan.dataset.ingested.v1',
  z.object({
    /** The dataset folder in the store (manifest.json + shards/). */
    dataset: FolderRef,
    accepted: z.number().int().nonnegative(),
    quarantined: z.number().int().nonnegative(),
    fingerprint: z.string(),
  }),
);

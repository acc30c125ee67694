import type { IngestLimits } from '../limits.ts';
import { lookupImage, type ImageIndex } from './image-index.ts';

/**
 * What every source (ISIC 2020, HAM10000, the derm-sample CSV, a folder per class) yields: one row
 * per image the source names, with the labels' names. Rows are not filtered: a row without a file
 * or a label is kept (file/label null) so ingest can quarantine it with its reason.
 */
export type SourceKind = 'isic2020' | 'ham10000' | 'derm-sample' | 'folders';

export const SOURCE_KINDS: readonly SourceKind[] = ['isic2020', 'ham10000', 'derm-sample', 'folders'];

export interface SourceRow {
  /** Image id: the CSV's image name, or `<class>/<file stem>` for folders. */
  id: string;
  /** Patient (grouping) id; '' when unknown, and then the image is its own group. */
  patient: string;
  /** Class index into `Source.labels`; null when the row has no usable label. */
  label: number | null;
  /** Absolute path of the image file; null when the row names an image that is not there. */
  file: string | null;
  /** Why `label` or `file` is null (the raw value or the folders searched), for the quarantine detail. */
  problem?: string;
  /** Why `file` is null: no such file (default), or a link that leaves the source folder. */
  reason?: 'missing-file' | 'outside-source';
}

export interface Source {
  kind: SourceKind;
  /** The CSV file or class-folder root that was read. */
  path: string;
  /** Class names by index. */
  labels: string[];
  rows: SourceRow[];
  /** Facts the user should know about how the source was read (e.g. what stands in for patient ids). */
  notes: string[];
}

/** Where a source's images are when they are not beside the CSV, and how much of a CSV is read. */
export interface SourceOptions {
  /** Folder holding the images; undefined = the source's usual places (see each source). */
  images?: string | undefined;
  /** CSV limits (csvBytes, csvLineBytes, csvColumns); undefined = INGEST_LIMITS. */
  limits?: Partial<IngestLimits> | undefined;
}

/**
 * Parse a 0/1 target column: '0' / '1' (also '0.0' / '1.0' as some exports write) → 0 / 1,
 * anything else (empty, 'NA', '2') → null.
 */
export function parseBinaryTarget(value: string | undefined): 0 | 1 | null {
  const v = (value ?? '').trim();
  if (v === '0' || v === '0.0') return 0;
  if (v === '1' || v === '1.0') return 1;
  return null;
}

/**
 * A row of a CSV with a 0/1 `target` column (ISIC 2020, derm-sample): its image looked up in
 * `index`, and the problem (bad target, missing file) that sends it to quarantine.
 */
export function binaryTargetRow(id: string, patient: string | undefined, target: string | undefined, index: ImageIndex, dirs: readonly string[]): SourceRow {
  const label = parseBinaryTarget(target);
  const row: SourceRow = { id, patient: patient ?? '', label, ...lookupImage(index, id, dirs) };
  if (label === null) row.problem = `target is "${target ?? ''}", expected 0 or 1`;
  return row;
}

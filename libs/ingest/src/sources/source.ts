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

/** Where a source's images are when they are not beside the CSV. */
export interface SourceOptions {
  /** Folder holding the images; undefined = the source's usual places (see each source). */
  images?: string | undefined;
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

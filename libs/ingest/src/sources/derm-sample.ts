import { dirname, resolve } from 'node:path';
import { readCsv, requireColumns } from './csv.ts';
import { assertSomeFound, indexImages } from './image-index.ts';
import { binaryTargetRow, type Source, type SourceOptions, type SourceRow } from './source.ts';

/**
 * The shipped sample's `metadata.csv` (../shared/data/derm-sample, data/demo): image_id, patient_id
 * (the HAM lesion id, empty for ISIC 2018 test images), diagnosis, target (1 = melanoma), source.
 * `diagnosis` is informational; the label is `target`.
 */
export const DERM_SAMPLE_COLUMNS = ['image_id', 'patient_id', 'target'] as const;

/** target 0 also holds malignant non-melanoma lesions (BCC, AKIEC), so 0 is "other", not "benign". */
export const DERM_SAMPLE_LABELS = ['other', 'melanoma'];

/** Read derm-sample's metadata.csv; the images (`<image_id>.jpg`) are beside it unless `options.images`. */
export async function readDermSample(path: string, options: SourceOptions = {}): Promise<Source> {
  const csv = resolve(path);
  const table = await readCsv(csv, options.limits);
  requireColumns(table, 'derm-sample metadata.csv', DERM_SAMPLE_COLUMNS);
  const dirs = [options.images !== undefined ? resolve(options.images) : dirname(csv)];
  const index = await indexImages(dirs, options.images !== undefined);
  const rows: SourceRow[] = table.records.map((r) => binaryTargetRow(r.image_id!, r.patient_id, r.target, index, dirs));
  assertSomeFound('derm-sample', csv, dirs, rows.length, rows.filter((r) => r.file !== null).length);
  const notes = rows.some((r) => r.patient === '') ? ['rows with an empty patient_id are each their own patient group'] : [];
  return { kind: 'derm-sample', path: csv, labels: DERM_SAMPLE_LABELS, rows, notes };
}

import { dirname, join, resolve } from 'node:path';
import { readCsv, requireColumns } from './csv.ts';
import { assertSomeFound, indexImages } from './image-index.ts';
import { binaryTargetRow, type Source, type SourceOptions, type SourceRow } from './source.ts';

/** ISIC 2020 `train.csv`: image_name, patient_id, …, target (1 = malignant, i.e. melanoma). */
export const ISIC2020_COLUMNS = ['image_name', 'patient_id', 'target'] as const;

/** ISIC 2020's own class names (`benign_malignant`); every malignant image there is a melanoma. */
export const ISIC2020_LABELS = ['benign', 'malignant'];

/** Where the images usually are relative to train.csv (the Kaggle and ISIC archive layouts). */
export function isic2020ImageDirs(csv: string): string[] {
  const dir = dirname(csv);
  return [join(dir, 'jpeg', 'train'), join(dir, 'train'), join(dir, 'jpeg'), join(dir, 'images'), dir];
}

/** Read ISIC 2020 `train.csv`; images from `options.images` or the usual folders beside it. */
export async function readIsic2020(path: string, options: SourceOptions = {}): Promise<Source> {
  const csv = resolve(path);
  const table = await readCsv(csv, options.limits);
  requireColumns(table, 'ISIC 2020 train.csv', ISIC2020_COLUMNS);
  const dirs = options.images !== undefined ? [resolve(options.images)] : isic2020ImageDirs(csv);
  const index = await indexImages(dirs, options.images !== undefined);
  const rows: SourceRow[] = table.records.map((r) => binaryTargetRow(r.image_name!, r.patient_id, r.target, index, dirs));
  assertSomeFound('isic2020', csv, dirs, rows.length, rows.filter((r) => r.file !== null).length);
  return { kind: 'isic2020', path: csv, labels: ISIC2020_LABELS, rows, notes: [] };
}

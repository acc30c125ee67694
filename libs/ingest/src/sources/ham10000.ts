import { dirname, join, resolve } from 'node:path';
import { readCsv, requireColumns } from './csv.ts';
import { assertSomeFound, indexImages, lookupImage } from './image-index.ts';
import type { Source, SourceOptions, SourceRow } from './source.ts';

/** HAM10000_metadata(.csv): lesion_id, image_id, dx, dx_type, age, sex, localization. */
export const HAM10000_COLUMNS = ['lesion_id', 'image_id', 'dx'] as const;

/** Melanoma (dx = mel) against every other diagnosis, as in derm-sample's `target`. */
export const HAM10000_LABELS = ['other', 'melanoma'];

export const HAM10000_PATIENT_NOTE =
  'HAM10000 publishes no patient ids: lesion_id is used as the patient, so images of one lesion stay together, ' +
  'but two lesions of one patient may land in different splits or tenants';

/** Where HAM10000's images usually are (the Harvard Dataverse archive ships two part folders). */
export function ham10000ImageDirs(csv: string): string[] {
  const dir = dirname(csv);
  return [dir, join(dir, 'HAM10000_images_part_1'), join(dir, 'HAM10000_images_part_2'), join(dir, 'HAM10000_images'), join(dir, 'images')];
}

/** Read HAM10000 metadata; label = melanoma (dx 'mel') vs other, patient = lesion_id. */
export async function readHam10000(path: string, options: SourceOptions = {}): Promise<Source> {
  const csv = resolve(path);
  const table = await readCsv(csv, options.limits);
  requireColumns(table, 'HAM10000 metadata', HAM10000_COLUMNS);
  const dirs = options.images !== undefined ? [resolve(options.images)] : ham10000ImageDirs(csv);
  const index = await indexImages(dirs, options.images !== undefined);
  const rows: SourceRow[] = table.records.map((r) => {
    const id = r.image_id!;
    const dx = (r.dx ?? '').trim().toLowerCase();
    const label = dx === '' ? null : dx === 'mel' ? 1 : 0;
    const row: SourceRow = { id, patient: r.lesion_id ?? '', label, ...lookupImage(index, id, dirs) };
    if (label === null) row.problem = 'dx is empty';
    return row;
  });
  assertSomeFound('ham10000', csv, dirs, rows.length, rows.filter((r) => r.file !== null).length);
  return { kind: 'ham10000', path: csv, labels: HAM10000_LABELS, rows, notes: [HAM10000_PATIENT_NOTE] };
}

import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { IngestError } from '../errors.ts';

/** A parsed CSV: the header and one record per data line, keyed by column name. */
export interface CsvTable {
  path: string;
  columns: string[];
  records: Array<Record<string, string>>;
}

/**
 * Read a whole metadata CSV (tens of thousands of rows at most: ISIC 2020 train.csv is 33k lines).
 * A missing file, an empty file, or lines that do not parse (unbalanced quotes, wrong field count)
 * are an IngestError naming the file and line.
 */
export async function readCsv(path: string): Promise<CsvTable> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new IngestError(
      code === 'ENOENT'
        ? `metadata CSV ${path} does not exist; pass --data with the path of train.csv, a HAM10000 metadata file, metadata.csv or a folder per class`
        : `metadata CSV ${path} cannot be read (${code ?? (err as Error).message})`,
      { cause: err },
    );
  }
  let rows: string[][];
  try {
    rows = parse(text, { bom: true, skip_empty_lines: true, trim: true, relax_column_count: false }) as string[][];
  } catch (err) {
    throw new IngestError(`metadata CSV ${path} is malformed: ${(err as Error).message}`, { cause: err });
  }
  const header = rows[0];
  if (!header || header.length === 0 || header.every((c) => c === '')) {
    throw new IngestError(`metadata CSV ${path} is empty: expected a header line with column names`);
  }
  const columns = header.map((c) => c.trim());
  const dupes = columns.filter((c, i) => columns.indexOf(c) !== i);
  if (dupes.length > 0) throw new IngestError(`metadata CSV ${path} has repeated column names: ${[...new Set(dupes)].join(', ')}`);
  const records = rows.slice(1).map((fields) => {
    const record: Record<string, string> = {};
    columns.forEach((c, i) => (record[c] = fields[i] ?? ''));
    return record;
  });
  return { path, columns, records };
}

/** Throw an IngestError naming the missing columns, the source kind and what the header holds. */
export function requireColumns(table: CsvTable, kind: string, required: readonly string[]): void {
  const missing = required.filter((c) => !table.columns.includes(c));
  if (missing.length > 0) {
    throw new IngestError(
      `metadata CSV ${table.path} does not fit ${kind}: missing column(s) ${missing.join(', ')} ` +
        `(it has ${table.columns.join(', ')}); ${kind} needs the columns ${required.join(', ')}`,
    );
  }
}

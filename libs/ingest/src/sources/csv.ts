import { open, type FileHandle } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { IngestError } from '../errors.ts';
import { resolveLimits, type IngestLimits } from '../limits.ts';

/** A parsed CSV: the header and one record per data line, keyed by column name. */
export interface CsvTable {
  path: string;
  columns: string[];
  records: Array<Record<string, string>>;
}

/**
 * Read a whole metadata CSV, within the limits (csvBytes, csvLineBytes, csvColumns; see
 * limits.ts): the size is checked before reading, the longest line before parsing, and every
 * header check is linear in the number of columns. A missing, empty, oversized or unparsable file
 * (unbalanced quotes, wrong field count) is an IngestError naming the file, the line and the limit.
 */
export async function readCsv(path: string, limits: Partial<IngestLimits> = {}): Promise<CsvTable> {
  const { csvBytes, csvLineBytes, csvColumns } = resolveLimits(limits);
  const text = await readBounded(path, csvBytes);
  const long = firstLongLine(text, csvLineBytes);
  if (long !== null) {
    throw new IngestError(`metadata CSV ${path}: line ${long} is longer than ${csvLineBytes} bytes (csvLineBytes); is it a metadata CSV? (raise the limit with --limit csvLineBytes=N)`);
  }
  let rows: string[][];
  try {
    rows = parse(text, { bom: true, skip_empty_lines: true, trim: true, relax_column_count: false, max_record_size: csvLineBytes }) as string[][];
  } catch (err) {
    throw new IngestError(`metadata CSV ${path} is malformed: ${(err as Error).message}`, { cause: err });
  }
  const header = rows[0];
  if (!header || header.length === 0 || header.every((c) => c === '')) {
    throw new IngestError(`metadata CSV ${path} is empty: expected a header line with column names`);
  }
  if (header.length > csvColumns) {
    throw new IngestError(`metadata CSV ${path} has ${header.length} columns, more than the limit of ${csvColumns} (csvColumns); is it a metadata CSV? (raise the limit with --limit csvColumns=N)`);
  }
  const columns = header.map((c) => c.trim());
  const seen = new Set<string>();
  const dupes = new Set<string>();
  for (const c of columns) (seen.has(c) ? dupes : seen).add(c);
  if (dupes.size > 0) throw new IngestError(`metadata CSV ${path} has repeated column names: ${[...dupes].join(', ')}`);
  const records = rows.slice(1).map((fields) => {
    const record: Record<string, string> = {};
    columns.forEach((c, i) => (record[c] = fields[i] ?? ''));
    return record;
  });
  return { path, columns, records };
}

/** Open a `--data` path for reading; a missing or unreadable one is an IngestError saying what to give. */
export async function openData(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new IngestError(
      code === 'ENOENT'
        ? `--data ${path} does not exist; give a metadata CSV (ISIC 2020 train.csv, HAM10000 metadata, derm-sample metadata.csv) or a folder per class`
        : `--data ${path} cannot be read (${code ?? (err as Error).message})`,
      { cause: err },
    );
  }
}

/** The file as UTF-8 text, refused (without reading it) when it is larger than `maxBytes`. */
async function readBounded(path: string, maxBytes: number): Promise<string> {
  const fh = await openData(path);
  try {
    const { size } = await fh.stat();
    if (size > maxBytes) {
      throw new IngestError(`metadata CSV ${path} is ${size} bytes, more than the limit of ${maxBytes} (csvBytes); is it a metadata CSV? (raise the limit with --limit csvBytes=N)`);
    }
    return await fh.readFile('utf8');
  } catch (err) {
    if (err instanceof IngestError) throw err;
    throw new IngestError(`metadata CSV ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  } finally {
    await fh.close();
  }
}

/**
 * The 1-based number of the first line of more than `maxBytes` UTF-8 bytes, or null; linear in the
 * text (a line's UTF-8 length is between 1× and 3× its UTF-16 length, so only lines in between are measured).
 */
function firstLongLine(text: string, maxBytes: number): number | null {
  let start = 0;
  for (let line = 1; start <= text.length; line++) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const units = end - start;
    if (units > maxBytes || (units * 3 > maxBytes && Buffer.byteLength(text.slice(start, end)) > maxBytes)) return line;
    start = end + 1;
  }
  return null;
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

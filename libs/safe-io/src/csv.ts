/**
 * CSV as dermagan writes it: RFC 4180 fields, safe to open in a spreadsheet. Every CSV the product
 * writes goes through `toCsv`, so an id taken from a user's metadata can neither break the table
 * nor run as a formula:
 * - a field holding a comma, a double quote, CR or LF is quoted, its quotes doubled;
 * - a text field starting with `=`, `+`, `-`, `@`, a tab or CR is prefixed with `'` (and quoted), so a
 *   spreadsheet shows it as text instead of evaluating it (OWASP, "CSV Injection");
 * - numbers are written as numbers (a negative score stays a number); NaN, ±Infinity, null and
 *   undefined are empty fields.
 */
export type CsvValue = string | number | boolean | null | undefined;

/** Characters that make a spreadsheet read a cell as a formula (OWASP's list). */
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** One field. */
export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value !== 'string') return String(value);
  if (FORMULA_START.test(value)) return `"'${value.replace(/"/g, '""')}"`;
  return NEEDS_QUOTES.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export interface CsvOptions {
  /** Line end: '\n' (default) or '\r\n' (RFC 4180, what spreadsheets expect). */
  eol?: '\n' | '\r\n';
}

/** A header line and one line per row, each ended by `eol`. */
export function toCsv(header: readonly string[], rows: ReadonlyArray<readonly CsvValue[]>, options: CsvOptions = {}): string {
  const eol = options.eol ?? '\n';
  const line = (values: readonly CsvValue[]) => `${values.map(csvField).join(',')}${eol}`;
  return line(header) + rows.map(line).join('');
}

/**
 * CSV that a spreadsheet opens as data: RFC 4180 quoting, and text cells that a spreadsheet would
 * run as a formula (starting with =, +, -, @, tab or carriage return) prefixed with an apostrophe
 * (OWASP "CSV injection"). Ids come from users' files; they must never execute.
 */

export type CsvValue = string | number | null;

export function csvCell(value: CsvValue): string {
  if (value === null) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Header and rows, one line each, '\n'-terminated. */
export function csvText(header: readonly string[], rows: ReadonlyArray<readonly CsvValue[]>): string {
  return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}

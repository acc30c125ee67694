/**
 * A dense row-major matrix of float32 rows (embeddings, W samples): the one shape every
 * embedding and latent-direction function takes.
 */
import { check } from '../errors.ts';

export interface Rows {
  /** Row-major values, rows × cols. */
  data: Float32Array | Float64Array;
  rows: number;
  cols: number;
}

/** Check that `m` is a well-formed matrix of finite values with at least `minRows` rows. */
export function checkRows(m: Rows, where: string, minRows = 1): void {
  check(Number.isInteger(m.rows) && Number.isInteger(m.cols) && m.cols > 0, where, () => `matrix must have integer rows and cols > 0, got ${m.rows}×${m.cols}`);
  check(m.data.length === m.rows * m.cols, where, () => `matrix data has ${m.data.length} values for ${m.rows}×${m.cols}`);
  check(m.rows >= minRows, where, () => `needs at least ${minRows} rows, got ${m.rows}`);
  for (let i = 0; i < m.data.length; i++) {
    if (!Number.isFinite(m.data[i]!)) check(false, where, () => `row ${Math.floor(i / m.cols)} has a non-finite value (${m.data[i]})`);
  }
}

/** Stack several matrices of the same width (real, synthetic, projected embeddings). */
export function stackRows(parts: readonly Rows[]): Rows {
  check(parts.length > 0, 'stackRows', () => 'nothing to stack');
  const cols = parts[0]!.cols;
  for (const p of parts) check(p.cols === cols, 'stackRows', () => `all parts must have ${cols} columns, got ${p.cols}`);
  const rows = parts.reduce((s, p) => s + p.rows, 0);
  const data = new Float32Array(rows * cols);
  let offset = 0;
  for (const p of parts) {
    data.set(p.data, offset);
    offset += p.data.length;
  }
  return { data, rows, cols };
}

/**
 * The one input type of every metric: a feature matrix, row-major, one sample per row.
 */
import { DEFAULTS } from './defaults.ts';

export type FeatureData = Float32Array | Float64Array;

export interface FeatureMatrix {
  /** Row-major values, rows × cols. */
  data: FeatureData;
  /** Number of samples. */
  rows: number;
  /** Feature width d. */
  cols: number;
}

/** Bad metric input (shape, NaN, too few samples): retrying cannot help. */
export class MetricInputError extends Error {
  override readonly name = 'MetricInputError';
  readonly retriable = false;
}

/** Wrap a typed array and its [n, d] shape, checking that they agree. */
export function featureMatrix(data: FeatureData, shape: readonly number[]): FeatureMatrix {
  if (shape.length !== 2) throw new MetricInputError(`featureMatrix: expected a 2-D [n, d] array, got shape [${shape.join(', ')}]`);
  const [rows, cols] = shape as [number, number];
  if (rows * cols !== data.length) {
    throw new MetricInputError(`featureMatrix: shape [${rows}, ${cols}] needs ${rows * cols} values, got ${data.length}`);
  }
  return { data, rows, cols };
}

/**
 * Check a matrix where it enters a metric: consistent shape, at least `minRows` rows, finite values
 * within ±DEFAULTS.featureMagnitude (beyond it the products of some compute path overflow).
 * `what` names the caller and the argument ("precisionRecall: real").
 */
export function checkFeatures(what: string, m: FeatureMatrix, minRows = 1): void {
  if (!Number.isInteger(m.rows) || !Number.isInteger(m.cols) || m.rows < 0 || m.cols < 1) {
    throw new MetricInputError(`${what}: bad shape [${m.rows}, ${m.cols}]`);
  }
  if (m.rows * m.cols !== m.data.length) {
    throw new MetricInputError(`${what}: shape [${m.rows}, ${m.cols}] needs ${m.rows * m.cols} values, got ${m.data.length}`);
  }
  if (m.rows < minRows) {
    throw new MetricInputError(`${what}: needs at least ${minRows} samples, got ${m.rows}`);
  }
  const data = m.data;
  const limit = DEFAULTS.featureMagnitude;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!(Math.abs(v) <= limit)) {
      const row = Math.floor(i / m.cols);
      const at = `${what}: value at row ${row}, column ${i - row * m.cols} is ${v}`;
      throw new MetricInputError(
        Number.isFinite(v)
          ? `${at}, beyond ±${limit} (DEFAULTS.featureMagnitude: the cubic KID kernel of larger values leaves float32); these are not features of a feature network`
          : `${at} (features must be finite)`,
      );
    }
  }
}

/** Check two matrices have the same width. */
export function checkSameWidth(what: string, a: FeatureMatrix, b: FeatureMatrix): void {
  if (a.cols !== b.cols) {
    throw new MetricInputError(`${what}: real features are ${a.cols}-d but fake features are ${b.cols}-d; both must come from the same extractor`);
  }
}

/** Rows `start`..`start+count` as a view (no copy). */
export function rowSlice(m: FeatureMatrix, start: number, count: number): FeatureMatrix {
  return { data: m.data.subarray(start * m.cols, (start + count) * m.cols), rows: count, cols: m.cols };
}

/** Gather rows by index into a new float64 matrix. */
export function gatherRows(m: FeatureMatrix, indices: ArrayLike<number>): FeatureMatrix {
  const out = new Float64Array(indices.length * m.cols);
  for (let i = 0; i < indices.length; i++) {
    const src = indices[i]! * m.cols;
    for (let c = 0; c < m.cols; c++) out[i * m.cols + c] = m.data[src + c]!;
  }
  return { data: out, rows: indices.length, cols: m.cols };
}

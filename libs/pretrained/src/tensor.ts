/**
 * A named weight as the readers return it and the weight format stores it: dtype, shape and
 * contiguous little-endian C-order bytes. Layout (OIHW for torch convolutions, HWIO for flax) is
 * the source's; the network that uses a weight says which it expects.
 */

export const WEIGHT_DTYPES = ['float32', 'float64', 'float16', 'bfloat16', 'int64', 'int32', 'int16', 'int8', 'uint8', 'bool'] as const;
export type WeightDtype = (typeof WEIGHT_DTYPES)[number];

export const DTYPE_BYTES: Readonly<Record<WeightDtype, number>> = Object.freeze({
  float32: 4, float64: 8, float16: 2, bfloat16: 2, int64: 8, int32: 4, int16: 2, int8: 1, uint8: 1, bool: 1,
});

export interface RawTensor {
  dtype: WeightDtype;
  shape: readonly number[];
  /** numel × element size bytes, little-endian, C order. */
  bytes: Uint8Array;
}

export class WeightError extends Error {
  override readonly name = 'WeightError';
  readonly retriable = false;
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * The values of a floating-point tensor as float32 (a copy-free view when it is float32 and
 * 4-byte aligned; float64 / float16 / bfloat16 are converted).
 */
export function toFloat32(t: RawTensor, what = 'tensor'): Float32Array {
  const n = numel(t.shape);
  const b = t.bytes;
  if (b.byteLength !== n * DTYPE_BYTES[t.dtype]) throw new WeightError(`${what}: ${b.byteLength} bytes for ${t.dtype} [${t.shape}]`);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  switch (t.dtype) {
    case 'float32':
      if (b.byteOffset % 4 === 0) return new Float32Array(b.buffer, b.byteOffset, n);
      return Float32Array.from({ length: n }, (_, i) => view.getFloat32(4 * i, true));
    case 'float64':
      return Float32Array.from({ length: n }, (_, i) => view.getFloat64(8 * i, true));
    case 'float16':
      return Float32Array.from({ length: n }, (_, i) => halfToFloat(view.getUint16(2 * i, true)));
    case 'bfloat16': {
      const out = new Float32Array(n);
      const u = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) u[i] = view.getUint16(2 * i, true) << 16;
      return out;
    }
    default:
      throw new WeightError(`${what}: ${t.dtype} is not a floating-point dtype`);
  }
}

/**
 * Copy `numel(shape)` elements of `elementBytes` each from `source`, starting at element `offset`
 * with the given element strides, into a contiguous C-order buffer (a view when already contiguous).
 * Checks that every element read lies inside `source`.
 */
export function gatherStrided(source: Uint8Array, elementBytes: number, offset: number, shape: readonly number[], strides: readonly number[], what: string): Uint8Array {
  if (shape.length !== strides.length) throw new WeightError(`${what}: shape [${shape}] and strides [${strides}] differ in rank`);
  if (shape.some((s) => !Number.isInteger(s) || s < 0) || strides.some((s) => !Number.isInteger(s) || s < 0) || !Number.isInteger(offset) || offset < 0) {
    throw new WeightError(`${what}: bad shape [${shape}], strides [${strides}] or offset ${offset}`);
  }
  const n = numel(shape);
  const available = Math.floor(source.byteLength / elementBytes);
  if (n === 0) return new Uint8Array(0);
  let last = offset;
  for (let d = 0; d < shape.length; d++) last += (shape[d]! - 1) * strides[d]!;
  if (last >= available) throw new WeightError(`${what}: reads element ${last} of a storage holding ${available}`);
  let contiguous = true;
  let expect = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d]! !== 1 && strides[d]! !== expect) contiguous = false;
    expect *= shape[d]!;
  }
  if (contiguous) return source.subarray(offset * elementBytes, (offset + n) * elementBytes);
  const out = new Uint8Array(n * elementBytes);
  const index = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    let src = offset;
    for (let d = 0; d < shape.length; d++) src += index[d]! * strides[d]!;
    out.set(source.subarray(src * elementBytes, (src + 1) * elementBytes), i * elementBytes);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++index[d]! < shape[d]!) break;
      index[d] = 0;
    }
  }
  return out;
}

/**
 * NumPy `.npy` format, version 1.0–3.0 (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html).
 * Little-endian, C order. The arrays dermagan exchanges: uint8 images, float32/float64 features.
 */
import { open, readFile, writeFile, rename } from 'node:fs/promises';

export type NpyDtype = 'uint8' | 'int32' | 'float32' | 'float64';
export type NpyData = Uint8Array | Int32Array | Float32Array | Float64Array;

export interface NpyArray<D extends NpyData = NpyData> {
  dtype: NpyDtype;
  shape: number[];
  data: D;
}

const DESCR: Record<NpyDtype, string> = { uint8: '|u1', int32: '<i4', float32: '<f4', float64: '<f8' };
const FROM_DESCR: Record<string, NpyDtype> = {
  '|u1': 'uint8', '<u1': 'uint8', u1: 'uint8', '<i4': 'int32', '<f4': 'float32', '<f8': 'float64',
};
const BYTES: Record<NpyDtype, number> = { uint8: 1, int32: 4, float32: 4, float64: 8 };
const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);

export class NpyError extends Error {
  override readonly name = 'NpyError';
}

export function dtypeOf(data: NpyData): NpyDtype {
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Float32Array) return 'float32';
  return 'float64';
}

/** The header bytes (magic, version, length, dict padded to a multiple of 64) for an array. */
export function npyHeader(dtype: NpyDtype, shape: readonly number[]): Buffer {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${DESCR[dtype]}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = MAGIC.length + 2 + 2 + dict.length + 1;
  dict += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const header = Buffer.alloc(MAGIC.length + 4 + dict.length);
  MAGIC.copy(header, 0);
  header[6] = 1;
  header[7] = 0;
  header.writeUInt16LE(dict.length, 8);
  header.write(dict, 10, 'latin1');
  return header;
}

/** Encode an array as `.npy` bytes. */
export function encodeNpy(array: NpyArray): Buffer {
  const count = array.shape.reduce((a, b) => a * b, 1);
  if (count !== array.data.length) {
    throw new NpyError(`encodeNpy: shape [${array.shape}] holds ${count} values but data has ${array.data.length}`);
  }
  const body = Buffer.from(array.data.buffer, array.data.byteOffset, array.data.byteLength);
  return Buffer.concat([npyHeader(array.dtype, array.shape), body]);
}

export interface NpyHeaderInfo {
  dtype: NpyDtype;
  shape: number[];
  /** Byte offset where the data starts. */
  offset: number;
}

/** Parse the header of `.npy` bytes (at least the first header-length bytes). */
export function parseNpyHeader(bytes: Uint8Array, what = 'array'): NpyHeaderInfo {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC)) {
    throw new NpyError(`${what}: not a .npy file (bad magic bytes)`);
  }
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  if (buf.length < start + headerLen) throw new NpyError(`${what}: truncated .npy header`);
  const dict = buf.toString(major === 3 ? 'utf8' : 'latin1', start, start + headerLen);
  const descr = /'descr':\s*'([^']+)'/.exec(dict)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(dict)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(dict)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new NpyError(`${what}: malformed .npy header: ${dict.trim()}`);
  }
  const dtype = FROM_DESCR[descr];
  if (!dtype) throw new NpyError(`${what}: unsupported dtype ${descr} (supported: uint8, int32, float32, float64, little-endian)`);
  if (fortran === 'True') throw new NpyError(`${what}: Fortran-order arrays are not supported; save with np.ascontiguousarray`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  if (shape.some((n) => !Number.isInteger(n) || n < 0)) throw new NpyError(`${what}: bad shape (${shapeText})`);
  return { dtype, shape, offset: start + headerLen };
}

/** Decode `.npy` bytes (exactly one array: nothing may follow its data). The returned data is a copy aligned for its typed array. */
export function decodeNpy(bytes: Uint8Array, what = 'array'): NpyArray {
  const { dtype, shape, offset } = parseNpyHeader(bytes, what);
  const count = shape.reduce((a, b) => a * b, 1);
  const byteLength = count * BYTES[dtype];
  if (bytes.byteLength - offset < byteLength) {
    throw new NpyError(`${what}: truncated .npy data: shape [${shape}] needs ${byteLength} bytes, file has ${bytes.byteLength - offset}`);
  }
  if (bytes.byteLength - offset > byteLength) {
    throw new NpyError(`${what}: ${bytes.byteLength - offset - byteLength} bytes after the array's ${byteLength} bytes of data (shape [${shape}]); the file is corrupt or not one array`);
  }
  const copy = new ArrayBuffer(byteLength);
  new Uint8Array(copy).set(bytes.subarray(offset, offset + byteLength));
  const data =
    dtype === 'uint8' ? new Uint8Array(copy)
    : dtype === 'int32' ? new Int32Array(copy)
    : dtype === 'float32' ? new Float32Array(copy)
    : new Float64Array(copy);
  return { dtype, shape, data };
}

export async function readNpy(path: string): Promise<NpyArray> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new NpyError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
  return decodeNpy(bytes, path);
}

/** Write atomically (temp file + rename), so a reader never sees half an array. */
export async function writeNpy(path: string, array: NpyArray): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  await writeFile(tmp, encodeNpy(array));
  await rename(tmp, path);
}

/** Read only the header of a file (shape and dtype) without loading the data. */
export async function readNpyHeader(path: string): Promise<NpyHeaderInfo> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(4096);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    return parseNpyHeader(head.subarray(0, bytesRead), path);
  } finally {
    await fh.close();
  }
}

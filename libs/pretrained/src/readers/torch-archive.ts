/**
 * PyTorch's weight files, read without torch:
 * - the zip format of `torch.save` (torch ≥ 1.6) and of TorchScript (`torch.jit.save`): one top
 *   folder holding `data.pkl` (the object, pickle protocol 2) and `data/<key>` (raw little-endian
 *   storages); TorchScript adds `code/` (the architecture as TorchScript source), `constants.pkl`
 *   and `version`;
 * - the legacy `torch.save` format (torch < 1.6, e.g. efficientnet-lite2's .pth): pickles one
 *   after another — magic number, protocol version, system info, the object, the list of storage
 *   keys — then each storage as an int64 element count and its raw bytes, in that list's order.
 *
 * Pickles are read by the opcode reader (pickle/unpickler.ts) with only these globals:
 * - `torch._utils._rebuild_tensor_v2` / `_rebuild_parameter` (a tensor: storage, offset, size, stride),
 * - `torch.<Type>Storage` (the storage classes, as dtype markers in persistent ids),
 * - `collections.OrderedDict` (state dicts),
 * - `torch.jit._pickle.build_*list` / `restore_type_tag` (TorchScript's typed containers),
 * - `__torch__.*` (TorchScript module classes: inert records of their attributes).
 * Persistent ids `('storage', type, key, location, numel[, view])` resolve to the storage `key`.
 */
import { openZip } from '@dermagan/npy';
import { unpickleAt } from '../pickle/unpickler.ts';
import { isPyTuple, pyClass, pyFunction, PyObject, type PyCallable, type PyValue } from '../pickle/values.ts';
import { DTYPE_BYTES, gatherStrided, WeightError, type RawTensor, type WeightDtype } from '../tensor.ts';

const STORAGE_DTYPES: Readonly<Record<string, WeightDtype>> = {
  FloatStorage: 'float32',
  DoubleStorage: 'float64',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
};

/** The legacy format's first pickle. */
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

/** A storage class named in a persistent id. */
interface StorageType extends PyCallable {
  readonly dtype: WeightDtype;
}

/** One storage: its dtype, element count and (once read) bytes. */
class Storage {
  bytes: Uint8Array | undefined;
  constructor(
    readonly key: string,
    readonly dtype: WeightDtype,
    readonly numel: number,
  ) {}
}

/** A tensor rebuilt from a storage; its bytes are gathered (contiguous, C order) on first use. */
export class TorchTensor implements RawTensor {
  private gathered: Uint8Array | undefined;
  constructor(
    readonly dtype: WeightDtype,
    readonly shape: readonly number[],
    private readonly storage: Storage,
    private readonly offset: number,
    private readonly strides: readonly number[],
    private readonly what: string,
  ) {}
  get bytes(): Uint8Array {
    if (!this.gathered) {
      const data = this.storage.bytes;
      if (!data) throw new WeightError(`${this.what}: storage ${this.storage.key} was never read`);
      this.gathered = gatherStrided(data, DTYPE_BYTES[this.dtype], this.offset, this.shape, this.strides, `${this.what}: tensor [${this.shape}] in storage ${this.storage.key}`);
    }
    return this.gathered;
  }
}

/** What a torch file holds. */
export interface TorchArchive {
  /** The zip's top folder (`archive`, `out_jit_module`, …); empty for the legacy format. */
  prefix: string;
  /** The unpickled object: a Map for a state dict, a {@link PyObject} for a TorchScript module. */
  root: PyValue;
  /** Every tensor by dotted path (`net.layers.conv.weight`, `_blocks.0._bn0.running_mean`), in pickle order. */
  tensors: Map<string, TorchTensor>;
  /** Non-tensor attributes of TorchScript modules by module path (`net.layers.conv` → { stride: 2, padding: 0, … }). */
  attributes: Map<string, Record<string, unknown>>;
  /** TorchScript source files under `code/` (path → text); empty otherwise. */
  code: Map<string, string>;
}

function intList(v: PyValue, what: string): number[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'number' || !Number.isInteger(x))) throw new WeightError(`${what}: expected a tuple of integers`);
  return v as number[];
}

/** The globals torch pickles may name, and the persistent-id loader over a table of storages. */
function torchGlobals(what: string, storages: Map<string, Storage>) {
  const rebuildTensor = pyFunction('torch._utils._rebuild_tensor_v2', (args) => {
    const [storage, offset, size, stride] = args as [PyValue, PyValue, PyValue, PyValue];
    if (!(storage instanceof Storage)) throw new WeightError(`${what}: _rebuild_tensor_v2 without a storage`);
    if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0) throw new WeightError(`${what}: bad storage offset`);
    return new TorchTensor(storage.dtype, intList(size, `${what}: tensor size`), storage, offset, intList(stride, `${what}: tensor stride`), what);
  });
  const identity = (name: string) => pyFunction(name, (args) => args[0] ?? null);
  const resolveGlobal = (module: string, name: string): PyCallable | undefined => {
    if (module === 'torch._utils' && name === '_rebuild_tensor_v2') return rebuildTensor;
    if (module === 'torch._utils' && (name === '_rebuild_parameter' || name === '_rebuild_parameter_with_state')) return identity(`${module}.${name}`);
    if (module === 'torch' && Object.hasOwn(STORAGE_DTYPES, name)) {
      const type: StorageType = {
        kind: 'callable',
        qualifiedName: `torch.${name}`,
        dtype: STORAGE_DTYPES[name]!,
        call() {
          throw new WeightError(`${what}: torch.${name} is only a storage marker here`);
        },
      };
      return type;
    }
    if (module === 'collections' && name === 'OrderedDict') {
      return pyFunction('collections.OrderedDict', (args) => {
        const m = new Map<PyValue, PyValue>();
        const items = args[0];
        if (Array.isArray(items)) for (const pair of items) if (Array.isArray(pair) && pair.length === 2) m.set(pair[0] as PyValue, pair[1] as PyValue);
        return m;
      });
    }
    if (module === 'torch.jit._pickle' && /^build_(int|double|bool|tensor|str)list$/.test(name)) return identity(`${module}.${name}`);
    if (module === 'torch.jit._pickle' && name === 'restore_type_tag') return identity(`${module}.${name}`);
    if (module.startsWith('__torch__.') || module === '__torch__') return pyClass(module, name);
    return undefined;
  };
  const persistentLoad = (pid: PyValue): PyValue => {
    if (!isPyTuple(pid) || pid[0] !== 'storage' || pid.length < 5) throw new WeightError(`${what}: unknown persistent id (expected ('storage', type, key, location, numel))`);
    const type = pid[1] as Partial<StorageType>;
    const key = pid[2];
    const count = pid[4];
    if (!type?.dtype) throw new WeightError(`${what}: persistent id names no storage type`);
    if (typeof key !== 'string' || !/^[A-Za-z0-9_]+$/.test(key)) throw new WeightError(`${what}: bad storage key ${String(key)}`);
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) throw new WeightError(`${what}: bad storage size ${String(count)}`);
    if (pid[5] !== undefined && pid[5] !== null) throw new WeightError(`${what}: storage views (legacy view_metadata) are not supported`);
    let storage = storages.get(key);
    if (!storage) {
      storage = new Storage(key, type.dtype, count);
      storages.set(key, storage);
    } else if (storage.dtype !== type.dtype) {
      throw new WeightError(`${what}: storage ${key} is used as ${storage.dtype} and ${type.dtype}`);
    }
    return storage;
  };
  return { resolveGlobal, persistentLoad };
}

/** Walk a module tree or nested state dict into dotted tensor names and module attributes. */
function flatten(root: PyValue, tensors: Map<string, TorchTensor>, attributes: Map<string, Record<string, unknown>>, path: string): void {
  const join = (k: string) => (path ? `${path}.${k}` : k);
  let entries: Iterable<[PyValue, PyValue]> | undefined;
  if (root instanceof Map) entries = root.entries();
  else if (root instanceof PyObject && root.state instanceof Map) entries = root.state.entries();
  if (!entries) return;
  const attrs: Record<string, unknown> = {};
  for (const [k, v] of entries) {
    if (typeof k !== 'string' && typeof k !== 'number') continue;
    const key = String(k);
    if (v instanceof TorchTensor) tensors.set(join(key), v);
    else if (v instanceof Map || v instanceof PyObject) flatten(v, tensors, attributes, join(key));
    else if (root instanceof PyObject && key !== 'training' && !key.startsWith('_')) {
      // A module's own settings (stride, padding, …): numbers, strings, booleans, lists of numbers.
      if (['number', 'boolean', 'string'].includes(typeof v)) attrs[key] = v;
      else if (Array.isArray(v) && v.every((x) => typeof x === 'number')) attrs[key] = [...v];
    }
  }
  if (root instanceof PyObject) attributes.set(path, { class: root.qualifiedName, ...attrs });
}

function result(prefix: string, root: PyValue, code: Map<string, string>): TorchArchive {
  const tensors = new Map<string, TorchTensor>();
  const attributes = new Map<string, Record<string, unknown>>();
  flatten(root, tensors, attributes, '');
  return { prefix, root, tensors, attributes, code };
}

function readZipArchive(bytes: Buffer, what: string): TorchArchive {
  const entries = openZip(bytes, what);
  const pkl = [...entries.keys()].find((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (!pkl) throw new WeightError(`${what}: no <folder>/data.pkl entry (not a torch.save / TorchScript zip archive)`);
  const prefix = pkl.slice(0, -'/data.pkl'.length);
  const order = entries.get(`${prefix}/byteorder`);
  if (order && order.read().toString('latin1').trim() !== 'little') throw new WeightError(`${what}: big-endian storages are not supported`);
  const storages = new Map<string, Storage>();
  const { resolveGlobal, persistentLoad } = torchGlobals(what, storages);
  const { value: root } = unpickleAt(entries.get(pkl)!.read(), 0, { resolveGlobal, persistentLoad, what: `${what}: ${pkl}` });
  for (const s of storages.values()) {
    const entry = entries.get(`${prefix}/data/${s.key}`);
    if (!entry) throw new WeightError(`${what}: storage data/${s.key} is missing`);
    const data = entry.read();
    if (data.byteLength < s.numel * DTYPE_BYTES[s.dtype]) throw new WeightError(`${what}: storage data/${s.key} holds ${data.byteLength} bytes, ${s.numel} ${s.dtype} need ${s.numel * DTYPE_BYTES[s.dtype]}`);
    s.bytes = data;
  }
  const code = new Map<string, string>();
  for (const [name, entry] of entries) {
    if (name.startsWith(`${prefix}/code/`) && name.endsWith('.py')) code.set(name.slice(prefix.length + 6), entry.read().toString('utf8'));
  }
  return result(prefix, root, code);
}

function readLegacy(bytes: Buffer, what: string): TorchArchive {
  const plain = { what };
  const magic = unpickleAt(bytes, 0, plain);
  if (magic.value !== LEGACY_MAGIC) throw new WeightError(`${what}: neither a zip archive nor a legacy torch.save file (bad magic number)`);
  const protocol = unpickleAt(bytes, magic.end, plain);
  if (protocol.value !== 1001) throw new WeightError(`${what}: legacy torch.save protocol ${String(protocol.value)} is not supported (only 1001)`);
  const sysInfo = unpickleAt(bytes, protocol.end, plain);
  if (sysInfo.value instanceof Map && sysInfo.value.get('little_endian') === false) throw new WeightError(`${what}: big-endian storages are not supported`);
  const storages = new Map<string, Storage>();
  const { resolveGlobal, persistentLoad } = torchGlobals(what, storages);
  const object = unpickleAt(bytes, sysInfo.end, { resolveGlobal, persistentLoad, what });
  const keys = unpickleAt(bytes, object.end, plain);
  if (!Array.isArray(keys.value) || keys.value.some((k) => typeof k !== 'string')) throw new WeightError(`${what}: the storage key list is not a list of strings`);
  let pos = keys.end;
  for (const key of keys.value as string[]) {
    const s = storages.get(key);
    if (!s) throw new WeightError(`${what}: storage ${key} is listed but never used`);
    if (pos + 8 > bytes.length) throw new WeightError(`${what}: storage ${key} is cut off`);
    const count = Number(bytes.readBigInt64LE(pos));
    const size = count * DTYPE_BYTES[s.dtype];
    if (count !== s.numel || pos + 8 + size > bytes.length) throw new WeightError(`${what}: storage ${key} holds ${count} elements (expected ${s.numel}) or is cut off`);
    s.bytes = bytes.subarray(pos + 8, pos + 8 + size);
    pos += 8 + size;
  }
  return result('', object.value, new Map());
}

/** Read a torch weight file: the zip format (torch.save ≥ 1.6, TorchScript) or the legacy torch.save format. */
export function readTorchArchive(bytes: Buffer, what = 'torch file'): TorchArchive {
  if (bytes.length >= 4 && bytes.readUInt32LE(0) === 0x04034b50) return readZipArchive(bytes, what);
  return readLegacy(bytes, what);
}

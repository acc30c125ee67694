/**
 * How Python values read from a pickle look in JavaScript. Nothing here runs Python code: a class
 * or function a pickle names becomes one of these inert records, or whatever the caller's
 * {@link GlobalResolver} returns for the few globals it allows.
 *
 * | Python | here |
 * | --- | --- |
 * | None, bool, float, str | null, boolean, number, string |
 * | int | number (bigint beyond ±2⁵³) |
 * | bytes, bytearray | Uint8Array (a view into the pickle's bytes) |
 * | tuple | {@link PyTuple} (a frozen array) |
 * | list | array |
 * | dict, OrderedDict | Map (insertion order, any key) |
 * | set, frozenset | Set |
 * | an instance of an allowed class | {@link PyObject} (class name, constructor args, state) |
 */

export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyTuple
  | PyValue[]
  | Map<PyValue, PyValue>
  | Set<PyValue>
  | PyObject
  | PyCallable
  | object;

/** A Python tuple: an immutable array, told apart from a list by this brand. */
export type PyTuple = readonly PyValue[] & { readonly __tuple: true };

export function pyTuple(items: PyValue[]): PyTuple {
  Object.defineProperty(items, '__tuple', { value: true, enumerable: false });
  return Object.freeze(items) as unknown as PyTuple;
}

export function isPyTuple(v: unknown): v is PyTuple {
  return Array.isArray(v) && (v as unknown as { __tuple?: boolean }).__tuple === true;
}

/**
 * An instance of a class the resolver allows but gives no behaviour to (e.g. a TorchScript module):
 * `module.name`, the args it was made with (NEWOBJ / REDUCE), and the state BUILD gave it.
 */
export class PyObject {
  /** `__setstate__` / `__dict__` contents set by BUILD (a Map for a dict state). */
  state: PyValue | undefined = undefined;
  constructor(
    readonly module: string,
    readonly name: string,
    readonly args: readonly PyValue[],
  ) {}
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/**
 * What a global resolves to. `call` runs for REDUCE (`f(*args)`) and NEWOBJ (`cls.__new__(cls, *args)`);
 * `build`, when present, runs for BUILD on a value that `call` returned (`obj.__setstate__(state)`)
 * and updates it in place (the memo may hold it already).
 */
export interface PyCallable {
  readonly kind: 'callable';
  readonly qualifiedName: string;
  call(args: readonly PyValue[]): PyValue;
  build?(target: PyValue, state: PyValue): void;
}

export function isPyCallable(v: unknown): v is PyCallable {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'callable';
}

/** A callable from a plain function (with an optional BUILD handler for what it returns). */
export function pyFunction(
  qualifiedName: string,
  call: (args: readonly PyValue[]) => PyValue,
  build?: (target: PyValue, state: PyValue) => void,
): PyCallable {
  return build ? { kind: 'callable', qualifiedName, call, build } : { kind: 'callable', qualifiedName, call };
}

/** A class whose instances are inert {@link PyObject}s (BUILD stores the state on them). */
export function pyClass(module: string, name: string): PyCallable {
  return { kind: 'callable', qualifiedName: `${module}.${name}`, call: (args) => new PyObject(module, name, args) };
}

/**
 * Maps `module`, `name` (as GLOBAL / STACK_GLOBAL name them) to what the unpickler may use; anything
 * it returns undefined for stops the read with a {@link PickleError}. This is the whole of what a
 * pickle can reach: keep it to the handful of names a file format needs.
 */
export type GlobalResolver = (module: string, name: string) => PyCallable | undefined;

/** Turn a persistent id (BINPERSID) into a value, e.g. a torch storage from the archive. */
export type PersistentLoader = (pid: PyValue) => PyValue;

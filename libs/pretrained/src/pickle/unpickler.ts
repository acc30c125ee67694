/**
 * A pickle reader that executes nothing. Python's `pickle.load` imports any module and calls any
 * function a file names (a pickle is a program); this reader interprets the opcodes itself
 * (protocols 0–5, the opcode table of CPython's `Lib/pickle.py` / `pickletools.py`) and resolves
 * GLOBAL / STACK_GLOBAL only through the caller's {@link GlobalResolver}: a name it does not allow
 * stops the read with the name in the message. INST / OBJ (protocol 0 instantiation), the
 * extension registry (EXT1/2/4) and out-of-band buffers (NEXT_BUFFER) are refused.
 *
 * Values come back as plain JavaScript (values.ts); tensors and arrays as whatever the resolver's
 * functions build (readers/torch-archive.ts, readers/numpy-pickle.ts).
 */
import {
  isPyCallable,
  pyTuple,
  PyObject,
  type GlobalResolver,
  type PersistentLoader,
  type PyCallable,
  type PyValue,
} from './values.ts';

export class PickleError extends Error {
  override readonly name = 'PickleError';
  readonly retriable = false;
}

/** Options for {@link unpickle}. */
export interface UnpickleOptions {
  /** The globals the file may name (default: none). */
  resolveGlobal?: GlobalResolver;
  /** Persistent ids (BINPERSID / PERSID) → values (default: refused). */
  persistentLoad?: PersistentLoader;
  /** Names the input in error messages. */
  what?: string;
}

const MARK = Symbol('mark');
type Slot = PyValue | typeof MARK;

/** Read one pickled value from `bytes` (up to its STOP opcode). */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions = {}): PyValue {
  return unpickleAt(bytes, 0, options).value;
}

/**
 * Read the pickle that starts at byte `offset`; `end` is the byte after its STOP (files such as
 * legacy `torch.save` output hold several pickles and raw data one after another).
 */
export function unpickleAt(bytes: Uint8Array, offset: number, options: UnpickleOptions = {}): { value: PyValue; end: number } {
  const what = options.what ?? 'pickle';
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const resolve = options.resolveGlobal ?? (() => undefined);
  let pos = offset;
  let stack: Slot[] = [];
  const marks: Slot[][] = [];
  const memo = new Map<number, PyValue>();
  // Which callable made an object, so BUILD hands the state to that callable's `build`.
  const builders = new WeakMap<object, PyCallable>();
  const call = (callable: PyCallable, args: readonly PyValue[]): PyValue => {
    const v = callable.call(args);
    if (callable.build && typeof v === 'object' && v !== null) builders.set(v, callable);
    return v;
  };

  const fail = (message: string): never => {
    throw new PickleError(`${what}: ${message} (at byte ${pos})`);
  };
  const need = (n: number) => {
    if (pos + n > buf.length) fail(`truncated: needs ${n} more bytes`);
  };
  const u8 = () => (need(1), buf[pos++]!);
  const u16 = () => (need(2), (pos += 2), buf.readUInt16LE(pos - 2));
  const u32 = () => (need(4), (pos += 4), buf.readUInt32LE(pos - 4));
  const i32 = () => (need(4), (pos += 4), buf.readInt32LE(pos - 4));
  const u64 = () => {
    need(8);
    const v = buf.readBigUInt64LE(pos);
    pos += 8;
    if (v > BigInt(buf.length)) fail(`length ${v} exceeds the input`);
    return Number(v);
  };
  const take = (n: number) => {
    need(n);
    pos += n;
    return buf.subarray(pos - n, pos);
  };
  const line = () => {
    const end = buf.indexOf(0x0a, pos);
    if (end < 0) fail('unterminated text argument');
    const s = buf.toString('latin1', pos, end);
    pos = end + 1;
    return s;
  };
  const pop = (): PyValue => {
    if (stack.length === 0) fail('stack underflow');
    const v = stack.pop()!;
    if (v === MARK) fail('unexpected MARK on the stack');
    return v as PyValue;
  };
  const top = (): PyValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) fail('stack underflow');
    return v as PyValue;
  };
  // Note: popMark() replaces `stack`; take its result before touching `stack` (`stack.push(popMark())`
  // would push onto the popped frame).
  const popMark = (): PyValue[] => {
    const items = stack as PyValue[];
    const prev = marks.pop();
    if (!prev) fail('no MARK to pop to');
    stack = prev!;
    return items;
  };
  const getGlobal = (module: string, name: string): PyCallable => {
    const g = resolve(module, name);
    if (!g) fail(`global ${module}.${name} is not allowed (this reader resolves only the names its file format needs)`);
    return g!;
  };
  const asCallable = (v: PyValue, op: string): PyCallable => {
    if (!isPyCallable(v)) fail(`${op} on a value that is not an allowed callable`);
    return v as PyCallable;
  };
  const asArgs = (v: PyValue, op: string): readonly PyValue[] => {
    if (!Array.isArray(v)) fail(`${op} needs an argument tuple`);
    return v as readonly PyValue[];
  };
  const setItems = (target: PyValue, items: PyValue[]) => {
    if (!(target instanceof Map)) fail('SETITEM(S) on a value that is not a dict');
    if (items.length % 2 !== 0) fail('SETITEMS with an odd number of items');
    for (let i = 0; i < items.length; i += 2) (target as Map<PyValue, PyValue>).set(items[i]!, items[i + 1]!);
  };
  const appendItems = (target: PyValue, items: PyValue[]) => {
    if (!Array.isArray(target) || Object.isFrozen(target)) fail('APPEND(S) on a value that is not a list');
    (target as PyValue[]).push(...items);
  };
  const persistent = (pid: PyValue) => {
    if (!options.persistentLoad) fail('persistent ids are not allowed here');
    return options.persistentLoad!(pid);
  };
  const longFromBytes = (b: Uint8Array): number | bigint => {
    if (b.length === 0) return 0;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    if (b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const textInt = (s: string): number | bigint | boolean => {
    const t = s.trim();
    if (t === '00') return false;
    if (t === '01') return true;
    const clean = t.endsWith('L') ? t.slice(0, -1) : t;
    if (!/^[+-]?\d+$/.test(clean)) fail(`bad integer "${s}"`);
    const big = BigInt(clean);
    return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
  };
  const quoted = (s: string): string => {
    const q = s[0];
    if ((q !== "'" && q !== '"') || s[s.length - 1] !== q || s.length < 2) fail('STRING argument is not quoted');
    return s.slice(1, -1).replace(/\\x([0-9a-fA-F]{2})|\\(.)/g, (_, hex: string | undefined, c: string | undefined) =>
      hex ? String.fromCharCode(parseInt(hex, 16)) : c === 'n' ? '\n' : c === 't' ? '\t' : c === 'r' ? '\r' : (c ?? ''),
    );
  };

  for (;;) {
    if (pos >= buf.length) fail('no STOP opcode');
    const op = buf[pos++]!;
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) fail('pickle protocol above 5');
        break;
      case 0x95: // FRAME (a length hint only)
        u64();
        break;
      case 0x2e: // STOP
        return { value: pop(), end: pos };
      case 0x28: // MARK
        marks.push(stack);
        stack = [];
        break;
      case 0x30: // POP
        if (stack.length === 0) fail('stack underflow');
        stack.pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;

      // Constants and numbers.
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x4a: stack.push(i32()); break; // BININT
      case 0x8a: stack.push(longFromBytes(take(u8()))); break; // LONG1
      case 0x8b: { // LONG4
        const n = i32();
        if (n < 0) fail('negative LONG4 length');
        stack.push(longFromBytes(take(n)));
        break;
      }
      case 0x47: need(8); stack.push(buf.readDoubleBE(pos)); pos += 8; break; // BINFLOAT
      case 0x49: stack.push(textInt(line())); break; // INT
      case 0x4c: stack.push(textInt(line())); break; // LONG
      case 0x46: { // FLOAT
        const v = Number(line());
        if (Number.isNaN(v)) fail('bad FLOAT');
        stack.push(v);
        break;
      }

      // Strings and bytes.
      case 0x58: stack.push(take(u32()).toString('utf8')); break; // BINUNICODE
      case 0x8c: stack.push(take(u8()).toString('utf8')); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(take(u64()).toString('utf8')); break; // BINUNICODE8
      case 0x56: stack.push(line().replace(/\\u([0-9a-fA-F]{4})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)))); break; // UNICODE
      case 0x42: stack.push(take(u32())); break; // BINBYTES
      case 0x43: stack.push(take(u8())); break; // SHORT_BINBYTES
      case 0x8e: stack.push(take(u64())); break; // BINBYTES8
      case 0x96: stack.push(Uint8Array.from(take(u64()))); break; // BYTEARRAY8
      // Python 2 str: bytes that protocol ≤ 2 writers also used for text; read as latin-1 text.
      case 0x54: { // BINSTRING
        const n = i32();
        if (n < 0) fail('negative BINSTRING length');
        stack.push(take(n).toString('latin1'));
        break;
      }
      case 0x55: stack.push(take(u8()).toString('latin1')); break; // SHORT_BINSTRING
      case 0x53: stack.push(quoted(line())); break; // STRING

      // Containers.
      case 0x29: stack.push(pyTuple([])); break; // EMPTY_TUPLE
      case 0x85: stack.push(pyTuple([pop()])); break; // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); stack.push(pyTuple([a, b])); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); stack.push(pyTuple([a, b, c])); break; } // TUPLE3
      case 0x74: { const t = pyTuple(popMark()); stack.push(t); break; } // TUPLE
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x6c: { const items = popMark(); stack.push(items); break; } // LIST
      case 0x61: { const v = pop(); appendItems(top(), [v]); break; } // APPEND
      case 0x65: { const items = popMark(); appendItems(top(), items); break; } // APPENDS
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x64: { const items = popMark(); const m = new Map<PyValue, PyValue>(); setItems(m, items); stack.push(m); break; } // DICT
      case 0x73: { const v = pop(); const k = pop(); setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const items = popMark(); setItems(top(), items); break; } // SETITEMS
      case 0x8f: stack.push(new Set()); break; // EMPTY_SET
      case 0x90: { // ADDITEMS
        const items = popMark();
        const s = top();
        if (!(s instanceof Set)) fail('ADDITEMS on a value that is not a set');
        for (const v of items) (s as Set<PyValue>).add(v);
        break;
      }
      case 0x91: { const s = new Set(popMark()); stack.push(s); break; } // FROZENSET

      // Memo.
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x70: memo.set(Number(line()), top()); break; // PUT
      case 0x68: case 0x6a: case 0x67: { // BINGET, LONG_BINGET, GET
        const key = op === 0x68 ? u8() : op === 0x6a ? u32() : Number(line());
        if (!memo.has(key)) fail(`memo key ${key} is not set`);
        stack.push(memo.get(key)!);
        break;
      }

      // Globals, calls, objects: only through the resolver.
      case 0x63: { // GLOBAL
        const module = line();
        const name = line();
        stack.push(getGlobal(module, name));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings');
        stack.push(getGlobal(module as string, name as string));
        break;
      }
      case 0x52: { // REDUCE
        const args = asArgs(pop(), 'REDUCE');
        stack.push(call(asCallable(pop(), 'REDUCE'), args));
        break;
      }
      case 0x81: { // NEWOBJ
        const args = asArgs(pop(), 'NEWOBJ');
        stack.push(call(asCallable(pop(), 'NEWOBJ'), args));
        break;
      }
      case 0x92: { // NEWOBJ_EX
        const kwargs = pop();
        const args = asArgs(pop(), 'NEWOBJ_EX');
        if (!(kwargs instanceof Map) || kwargs.size > 0) fail('NEWOBJ_EX with keyword arguments is not supported');
        stack.push(call(asCallable(pop(), 'NEWOBJ_EX'), args));
        break;
      }
      case 0x62: { // BUILD
        const state = pop();
        const target = top();
        const builder = typeof target === 'object' && target !== null ? builders.get(target) : undefined;
        if (builder?.build) {
          builder.build(target, state);
        } else if (target instanceof PyObject) {
          target.state = state;
        } else if (target instanceof Map && state instanceof Map) {
          // An OrderedDict's instance attributes (torch.save keeps `_metadata` there): kept apart from the items.
          dictAttributes.set(target, state);
        } else {
          fail('BUILD on a value that takes no state');
        }
        break;
      }
      case 0x51: stack.push(persistent(pop())); break; // BINPERSID
      case 0x50: stack.push(persistent(line())); break; // PERSID

      case 0x69: case 0x6f: fail('INST/OBJ (protocol 0 instantiation) are not supported'); break;
      case 0x82: case 0x83: case 0x84: fail('the copyreg extension registry (EXT1/2/4) is not supported'); break;
      case 0x97: case 0x98: fail('out-of-band buffers are not supported'); break;
      default:
        fail(`unknown opcode 0x${op.toString(16).padStart(2, '0')}`);
    }
  }

  // Not reached: the loop returns at STOP.
}

/** Instance attributes a BUILD gave a dict (e.g. an OrderedDict's `_metadata`). */
const dictAttributes = new WeakMap<Map<PyValue, PyValue>, Map<PyValue, PyValue>>();

export function attributesOf(dict: Map<PyValue, PyValue>): Map<PyValue, PyValue> | undefined {
  return dictAttributes.get(dict);
}

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PickleError, unpickle, unpickleAt } from './unpickler.ts';
import { isPyTuple, pyClass, PyObject, type PyValue } from './values.ts';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, '..', '..', 'fixtures', name));

describe('unpickle (opcodes, no code execution)', () => {
  for (const protocol of [0, 1, 2, 3, 4, 5]) {
    it(`reads CPython's protocol ${protocol} output of a nested structure`, () => {
      const v = unpickle(fixture(`plain-p${protocol}.pkl`)) as Map<string, PyValue>;
      expect(v).toBeInstanceOf(Map);
      expect(v.get('none')).toBeNull();
      expect(v.get('true')).toBe(true);
      expect(v.get('false')).toBe(false);
      expect(v.get('small')).toBe(7);
      expect(v.get('negative')).toBe(-300);
      expect(v.get('big')).toBe(2 ** 40);
      expect(v.get('huge')).toBe(2n ** 70n);
      expect(v.get('float')).toBe(1.5);
      expect(v.get('text')).toBe('héllo');
      const t = v.get('tuple') as PyValue[];
      expect(isPyTuple(t)).toBe(true);
      expect([t[0], t[1]]).toEqual([1, 'a']);
      expect(isPyTuple(t[2])).toBe(true);
      expect(v.get('list')).toEqual([1, [2, 3], new Map()]);
      const shared = v.get('shared') as PyValue[];
      expect(shared[0]).toBe(shared[1]); // the memo keeps identity
    });
  }

  it('reads bytes, set and frozenset (protocol 4 opcodes)', () => {
    const v = unpickle(fixture('plain-extras-p4.pkl')) as Map<string, PyValue>;
    expect(Array.from(v.get('bytes') as Uint8Array)).toEqual([0, 1, 255]);
    expect(v.get('set')).toEqual(new Set([1, 2]));
    expect(v.get('frozen')).toEqual(new Set(['x']));
  });

  it('refuses a global it was not given, naming it, and runs nothing', () => {
    expect(() => unpickle(fixture('evil.pkl'))).toThrow(PickleError);
    expect(() => unpickle(fixture('evil.pkl'))).toThrow(/global (posix|os|nt)\.system is not allowed/);
  });

  it('resolves only through the resolver: classes become inert records with their BUILD state', () => {
    // PROTO 2, GLOBAL 'pkg Mod', EMPTY_TUPLE, NEWOBJ, EMPTY_DICT, 'k', 1, SETITEM, BUILD, STOP
    const bytes = Buffer.concat([
      Buffer.from([0x80, 2]),
      Buffer.from('cpkg\nMod\n', 'latin1'),
      Buffer.from([0x29, 0x81, 0x7d, 0x58, 1, 0, 0, 0, 0x6b, 0x4b, 1, 0x73, 0x62, 0x2e]),
    ]);
    const v = unpickle(bytes, { resolveGlobal: (m, n) => (m === 'pkg' ? pyClass(m, n) : undefined) });
    expect(v).toBeInstanceOf(PyObject);
    expect((v as PyObject).qualifiedName).toBe('pkg.Mod');
    expect((v as PyObject).state).toEqual(new Map([['k', 1]]));
  });

  it('reads pickles one after another', () => {
    const two = Buffer.from([0x80, 2, 0x4b, 5, 0x2e, 0x80, 2, 0x4b, 6, 0x2e]);
    const a = unpickleAt(two, 0);
    expect(a).toEqual({ value: 5, end: 5 });
    expect(unpickleAt(two, a.end).value).toBe(6);
  });

  it('throws PickleError (never a RangeError) on damaged input', () => {
    expect(() => unpickle(Buffer.from([0x80, 2, 0x58, 0xff, 0xff, 0, 0]))).toThrow(/truncated/);
    expect(() => unpickle(Buffer.from([0x80, 2, 0x4b]))).toThrow(/truncated/);
    expect(() => unpickle(Buffer.from([0x80, 2, 0x4b, 1]))).toThrow(/no STOP/);
    expect(() => unpickle(Buffer.from([0x80, 2, 0xff]))).toThrow(/unknown opcode 0xff/);
    expect(() => unpickle(Buffer.from([0x80, 2, 0x68, 3, 0x2e]))).toThrow(/memo key 3 is not set/);
    expect(() => unpickle(Buffer.from([0x80, 2, 0x82, 1, 0x2e]))).toThrow(/extension registry/);
    expect(() => unpickle(Buffer.from([0x80, 2, 0x2e]))).toThrow(/stack underflow/);
    expect(() => unpickle(Buffer.from([0x80, 2, 0x4b, 1, 0x29, 0x52, 0x2e]))).toThrow(/not an allowed callable/);
    expect(() => unpickle(Buffer.from([0x80, 2, 0x51, 0x2e]))).toThrow(PickleError);
  });
});

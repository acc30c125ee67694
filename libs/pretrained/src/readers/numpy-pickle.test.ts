import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PickleError } from '../pickle/unpickler.ts';
import { toFloat32 } from '../tensor.ts';
import { flattenArrays, readNumpyPickle } from './numpy-pickle.ts';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, '..', '..', 'fixtures', name));

describe('readNumpyPickle', () => {
  for (const protocol of [2, 3, 4]) {
    it(`reads a parameter tree of numpy arrays (protocol ${protocol})`, () => {
      const arrays = flattenArrays(readNumpyPickle(fixture(`numpy-p${protocol}.pkl`)));
      expect([...arrays.keys()]).toEqual(['layer/kernel', 'layer/bias', 'fortran', 'ints']);
      expect(arrays.get('layer/kernel')!.shape).toEqual([3, 3, 2, 4]);
      expect(Array.from(toFloat32(arrays.get('layer/bias')!))).toEqual([0, 1, 2, 3]);
      // Column-major input comes out in C order.
      expect(Array.from(toFloat32(arrays.get('fortran')!))).toEqual([0, 1, 2, 3, 4, 5]);
      expect(arrays.get('ints')!.dtype).toBe('int64');
    });
  }

  it('refuses any other global', () => {
    expect(() => readNumpyPickle(fixture('evil.pkl'))).toThrow(PickleError);
  });
});

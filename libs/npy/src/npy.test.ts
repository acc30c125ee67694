import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeNpy, encodeNpy, NpyError, readNpy, readNpyHeader, writeNpy } from './npy.ts';

describe('npy', () => {
  it('writes the header numpy writes for a float32 [2,3] array', () => {
    const bytes = encodeNpy({ dtype: 'float32', shape: [2, 3], data: new Float32Array(6) });
    // numpy 1.x/2.x: magic, v1.0, header padded so the data starts at a multiple of 64.
    expect([...bytes.subarray(0, 8)]).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    // Bytes numpy 2.x's np.save wrote for np.zeros((2, 3), np.float32): header length 118.
    const dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    expect(bytes.readUInt16LE(8)).toBe(118);
    expect(bytes.toString('latin1', 10, 128)).toBe(dict + ' '.repeat(118 - dict.length - 1) + '\n');
    expect(bytes.length).toBe(128 + 6 * 4);
  });

  it.each([
    ['uint8', new Uint8Array([0, 1, 255, 7]), [4]],
    ['int32', new Int32Array([-5, 3, 2 ** 30, 0]), [2, 2]],
    ['float32', new Float32Array([0.5, -1.25, 3e-8, Infinity, 1, 2]), [1, 2, 3]],
    ['float64', new Float64Array([Math.PI, -0, 1e300]), [3, 1]],
  ] as const)('round-trips %s', (dtype, data, shape) => {
    const decoded = decodeNpy(encodeNpy({ dtype, shape: [...shape], data }));
    expect(decoded.dtype).toBe(dtype);
    expect(decoded.shape).toEqual(shape);
    expect([...decoded.data]).toEqual([...data]);
  });

  it('round-trips a 0-d and an empty array', () => {
    expect(decodeNpy(encodeNpy({ dtype: 'float64', shape: [], data: new Float64Array([2]) })).shape).toEqual([]);
    expect(decodeNpy(encodeNpy({ dtype: 'float32', shape: [0, 4], data: new Float32Array(0) })).shape).toEqual([0, 4]);
  });

  it('writes atomically and reads the header alone', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'npy-')), 'a.npy');
    await writeNpy(path, { dtype: 'float64', shape: [5, 2], data: new Float64Array(10).fill(1.5) });
    expect(await readNpyHeader(path)).toMatchObject({ dtype: 'float64', shape: [5, 2] });
    expect((await readNpy(path)).data[9]).toBe(1.5);
  });

  it('throws when …', async () => {
    expect(() => decodeNpy(Buffer.from('hello world'), 'x.npy')).toThrow(/x.npy: not a .npy file/);
    const good = encodeNpy({ dtype: 'float32', shape: [4], data: new Float32Array(4) });
    expect(() => decodeNpy(good.subarray(0, good.length - 2), 'x.npy')).toThrow(/truncated .npy data/);
    expect(() => decodeNpy(Buffer.concat([good, Buffer.from([1, 2])]), 'x.npy')).toThrow(/x\.npy: 2 bytes after the array's 16 bytes of data/);
    const big = Buffer.from(good);
    big.write("'>f4'", big.indexOf("'<f4'"), 'latin1');
    expect(() => decodeNpy(big)).toThrow(/unsupported dtype >f4/);
    const fortran = Buffer.from(good);
    fortran.write('True ', fortran.indexOf('False'), 'latin1');
    expect(() => decodeNpy(fortran)).toThrow(NpyError);
    expect(() => encodeNpy({ dtype: 'float32', shape: [3], data: new Float32Array(4) })).toThrow(/shape \[3\] holds 3 values/);
    await expect(readNpy('/nonexistent/a.npy')).rejects.toThrow(/cannot read \/nonexistent\/a.npy: ENOENT/);
  });
});

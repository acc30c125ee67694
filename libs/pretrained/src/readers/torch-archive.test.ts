import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toFloat32, WeightError } from '../tensor.ts';
import { readTorchArchive } from './torch-archive.ts';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, '..', '..', 'fixtures', name));
const expected = JSON.parse(fixture('torch-expected.json').toString('utf8')) as Record<string, number[]>;

describe('readTorchArchive', () => {
  for (const file of ['state-zip.pt', 'state-legacy.pt']) {
    it(`reads a torch.save state dict (${file}) with torch's values, views and offsets included`, () => {
      const a = readTorchArchive(fixture(file), file);
      expect([...a.tensors.keys()]).toEqual(['conv.weight', 'conv.bias', 'bn.num_batches_tracked', 'view.t', 'view.row']);
      expect(a.tensors.get('conv.weight')!.shape).toEqual([4, 2, 3, 3]);
      for (const [name, values] of Object.entries(expected)) {
        expect(Array.from(toFloat32(a.tensors.get(name)!))).toEqual(values.map(Math.fround));
      }
      const count = a.tensors.get('bn.num_batches_tracked')!;
      expect(count.dtype).toBe('int64');
      expect(count.shape).toEqual([]);
      expect(new DataView(count.bytes.buffer, count.bytes.byteOffset).getBigInt64(0, true)).toBe(7n);
    });
  }

  it('reads a TorchScript module: parameters by path, module attributes, code', () => {
    const a = readTorchArchive(fixture('tiny-script.pt'), 'tiny-script.pt');
    expect([...a.tensors.keys()]).toEqual(['conv.weight']);
    expect(a.tensors.get('conv.weight')!.shape).toEqual([3, 2, 3, 3]);
    expect(a.attributes.get('')).toMatchObject({ scale: 0.5 });
    expect(a.attributes.get('conv')).toMatchObject({ class: '__torch__.torch.nn.modules.conv.Conv2d' });
    expect([...a.code.keys()].some((p) => p.endsWith('.py'))).toBe(true);
  });

  it('refuses what is not a torch file, and a storage that runs short', () => {
    expect(() => readTorchArchive(Buffer.from([0x80, 2, 0x4b, 1, 0x2e]), 'x.pt')).toThrow(/bad magic number/);
    const zip = fixture('state-legacy.pt');
    expect(() => readTorchArchive(zip.subarray(0, zip.length - 10), 'cut.pt')).toThrow(WeightError);
  });
});

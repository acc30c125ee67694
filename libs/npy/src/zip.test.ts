import { crc32 as nodeCrc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32, readZip, writeZip } from './zip.ts';

describe('zip (the .npz container)', () => {
  it('crc32 matches zlib', () => {
    for (const text of ['', 'a', 'The quick brown fox jumps over the lazy dog']) expect(crc32(Buffer.from(text))).toBe(nodeCrc32(Buffer.from(text)));
  });

  it('round-trips stored entries', () => {
    const entries: Array<[string, Buffer]> = [['mu.npy', Buffer.from([1, 2, 3])], ['sigma.npy', Buffer.alloc(1000, 7)], ['empty', Buffer.alloc(0)]];
    const back = readZip(writeZip(entries));
    expect([...back.keys()]).toEqual(['mu.npy', 'sigma.npy', 'empty']);
    for (const [name, data] of entries) expect(back.get(name)).toEqual(data);
  });

  it('refuses what is not a zip', () => {
    expect(() => readZip(Buffer.from('PK but not really, and long enough to search'), 'x.npz')).toThrow(/x.npz: not a zip archive/);
  });
});

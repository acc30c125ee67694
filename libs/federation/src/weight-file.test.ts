import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ws } from './testing.ts';
import {
  decodeWeightSet,
  encodeWeightSet,
  fileSink,
  fileSource,
  memorySink,
  openWeightStream,
  readAll,
  weightSetSha256,
  writeWeightFile,
} from './weight-file.ts';
import { groupOf, schemaDifferences, WeightsError } from './weights.ts';
import { createHash } from 'node:crypto';

const sample = () =>
  ws({ 'G/mapping/fc0/weight': [[1, 2, 3, 4, 5, 6], [2, 3]], 'D/b4/fc/bias': [-1.5], 'G_ema/mapping/fc0/weight': [[0.5, 0, 0, 0, 0, 7], [2, 3]] }, { adaP: 0.25, plMean: 1.5 });

async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

describe('weight file', () => {
  it('lays out magic, version, a 64-aligned header and the float32 data in order', () => {
    const bytes = encodeWeightSet(sample());
    expect(bytes.toString('latin1', 0, 4)).toBe('DGWT');
    expect(bytes.readUInt32LE(4)).toBe(1);
    const headerLen = bytes.readUInt32LE(8);
    expect((12 + headerLen) % 64).toBe(0);
    const header = JSON.parse(bytes.toString('utf8', 12, 12 + headerLen));
    expect(header).toEqual({
      format: 'dermagan-weights',
      dtype: 'float32',
      tensors: [
        { name: 'G/mapping/fc0/weight', shape: [2, 3] },
        { name: 'D/b4/fc/bias', shape: [1] },
        { name: 'G_ema/mapping/fc0/weight', shape: [2, 3] },
      ],
      scalars: { adaP: 0.25, plMean: 1.5 },
    });
    const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset + 12 + headerLen, bytes.byteOffset + bytes.length));
    expect([...data]).toEqual([1, 2, 3, 4, 5, 6, -1.5, 0.5, 0, 0, 0, 0, 7]);
  });

  it('round-trips through 1-byte and 7-byte chunks', async () => {
    const bytes = encodeWeightSet(sample());
    for (const size of [1, 7, 1 << 20]) {
      const back = await readAll(await openWeightStream(chunked(bytes, size), 'test'));
      expect(back).toEqual(sample());
    }
  });

  it('hashes the encoding: weightSetSha256 equals sha256 of the bytes and of a sink', async () => {
    const bytes = encodeWeightSet(sample());
    const expected = createHash('sha256').update(bytes).digest('hex');
    expect(weightSetSha256(sample())).toBe(expected);
    const sink = memorySink({ tensors: sample().tensors.map(({ name, shape }) => ({ name, shape })), scalars: sample().scalars });
    for (const t of sample().tensors) await sink.write(t);
    expect(await sink.close()).toEqual({ sha256: expected, size: bytes.length });
  });

  it('writes a file atomically and reads it back, verifying its hash', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'wf-')), 'w.dgw');
    const written = await writeWeightFile(path, sample());
    expect(written.size).toBe(readFileSync(path).length);
    expect(await readAll(await fileSource(path, written.sha256).open())).toEqual(sample());
  });

  it('throws WeightsError for a truncated file, trailing bytes, bad magic and a hash mismatch', async () => {
    const bytes = encodeWeightSet(sample());
    await expect(decodeWeightSet(bytes.subarray(0, bytes.length - 4))).rejects.toThrow(/truncated/);
    await expect(decodeWeightSet(Buffer.concat([bytes, Buffer.from([0])]))).rejects.toThrow(/after its last tensor/);
    const bad = Buffer.from(bytes);
    bad[0] = 0x58;
    await expect(decodeWeightSet(bad)).rejects.toThrow(WeightsError);
    const dir = mkdtempSync(join(tmpdir(), 'wf-'));
    writeFileSync(join(dir, 'w'), bytes);
    await expect(readAll(await fileSource(join(dir, 'w'), '0'.repeat(64)).open())).rejects.toThrow(/hashes to/);
  });

  it('a sink refuses tensors out of header order and an early close', async () => {
    const set = sample();
    const path = join(mkdtempSync(join(tmpdir(), 'wf-')), 'w');
    const sink = fileSink(path, { tensors: set.tensors.map(({ name, shape }) => ({ name, shape })), scalars: {} });
    await expect(sink.write(set.tensors[1]!)).rejects.toThrow(/header expects G\/mapping\/fc0\/weight/);
    await sink.abort();
    const sink2 = memorySink({ tensors: set.tensors.map(({ name, shape }) => ({ name, shape })), scalars: {} });
    await sink2.write(set.tensors[0]!);
    await expect(sink2.close()).rejects.toThrow(/closed after 1 of 3/);
  });

  it('refuses names outside the groups, duplicate names and bad scalars', () => {
    expect(() => groupOf('mapping/fc0')).toThrow(/must start with one of G\//);
    expect(() => encodeWeightSet({ tensors: [...ws({ 'G/a': [1] }).tensors, ...ws({ 'G/a': [2] }).tensors], scalars: {} })).toThrow(/appears twice/);
    expect(() => encodeWeightSet(ws({ 'G/a': [1] }, { adaP: 1.5 }))).toThrow(/adaP/);
  });

  it('schemaDifferences names missing, unexpected, reshaped and reordered tensors', () => {
    const a = [{ name: 'G/a', shape: [2] }, { name: 'D/b', shape: [1] }];
    expect(schemaDifferences(a, a)).toEqual([]);
    expect(schemaDifferences(a, [{ name: 'D/b', shape: [1] }, { name: 'G/a', shape: [2] }])).toEqual(['G/a: at position 1, expected 0', 'D/b: at position 0, expected 1']);
    expect(schemaDifferences(a, [{ name: 'G/a', shape: [3] }, { name: 'G/c', shape: [1] }])).toEqual(['G/a: shape [3] != expected [2]', 'missing tensor D/b', 'unexpected tensor G/c']);
  });
});

describe('weight file slices', () => {
  it('nextSlice never crosses a tensor and a sink reassembles slices into the same bytes', async () => {
    const set = sample();
    const stream = await openWeightStream(chunked(encodeWeightSet(set), 5), 'test');
    const slices = [];
    for (let s = await stream.nextSlice(4); s; s = await stream.nextSlice(4)) slices.push([s.name, s.offset, s.data.length]);
    expect(slices).toEqual([
      ['G/mapping/fc0/weight', 0, 4], ['G/mapping/fc0/weight', 4, 2], ['D/b4/fc/bias', 0, 1],
      ['G_ema/mapping/fc0/weight', 0, 4], ['G_ema/mapping/fc0/weight', 4, 2],
    ]);
    const header = { tensors: set.tensors.map(({ name, shape }) => ({ name, shape })), scalars: set.scalars };
    const sink = memorySink(header);
    const again = await openWeightStream(chunked(encodeWeightSet(set), 64), 'test');
    for (let s = await again.nextSlice(3); s; s = await again.nextSlice(3)) await sink.writeSlice(s);
    expect(await sink.close()).toEqual({ sha256: weightSetSha256(set), size: encodeWeightSet(set).length });
    expect(sink.result()).toEqual(set);
  });

  it('a sink refuses a slice with a gap', async () => {
    const set = sample();
    const sink = memorySink({ tensors: set.tensors.map(({ name, shape }) => ({ name, shape })), scalars: {} });
    await sink.writeSlice({ name: 'G/mapping/fc0/weight', shape: [2, 3], offset: 0, data: new Float32Array(2) });
    await expect(sink.writeSlice({ name: 'G/mapping/fc0/weight', shape: [2, 3], offset: 3, data: new Float32Array(3) })).rejects.toThrow(/from value 2 \(of 6\)/);
  });
});

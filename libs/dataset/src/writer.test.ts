import { createHash } from 'node:crypto';
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { readNpy } from '@dermagan/npy';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DATASET_FORMAT } from './manifest.ts';
import { imageChunks, loadImages, openDataset, readManifest } from './reader.ts';
import { DatasetWriter, datasetFingerprint, type FinishInfo } from './writer.ts';

const SIZE = 2;
const hex = (n: number) => createHash('sha256').update(String(n)).digest('hex');
/** Image n: every pixel is (n, 2n, 3n) mod 256. */
const image = (n: number) => {
  const px = new Uint8Array(SIZE * SIZE * 3);
  for (let i = 0; i < px.length; i += 3) px.set([n % 256, (2 * n) % 256, (3 * n) % 256], i);
  return px;
};
const info: FinishInfo = {
  name: 'test',
  labels: ['other', 'melanoma'],
  source: { kind: 'generated' },
  split: { kind: 'none' },
  tenants: null,
};

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dermagan-writer-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function write(n: number, shardSize: number, finish: Partial<FinishInfo> = {}) {
  const writer = await DatasetWriter.create({ dir, size: SIZE, shardSize });
  for (let i = 0; i < n; i++) await writer.append(image(i), { id: `img${i}`, patient: `p${i}`, label: i % 2, sha256: hex(i) });
  return writer.finish({ ...info, ...finish });
}

describe('DatasetWriter', () => {
  it('5 images, 2 per shard: 3 shard files [2,2,1], each image at its shard row, round-trips through openDataset', async () => {
    const manifest = await write(5, 2);
    expect(manifest.format).toBe(DATASET_FORMAT);
    expect(manifest.shards.map((s) => [s.file, s.count])).toEqual([
      ['shards/shard-00000.npy', 2],
      ['shards/shard-00001.npy', 2],
      ['shards/shard-00002.npy', 1],
    ]);
    expect(manifest.images.map((e) => [e.shard, e.index])).toEqual([[0, 0], [0, 1], [1, 0], [1, 1], [2, 0]]);
    const third = await readNpy(join(dir, 'shards/shard-00002.npy'));
    expect(third.shape).toEqual([1, SIZE, SIZE, 3]);
    for (const s of manifest.shards) {
      expect(createHash('sha256').update(await readFile(join(dir, s.file))).digest('hex')).toBe(s.sha256);
    }
    const ds = await openDataset(dir);
    expect(ds.manifest).toEqual(manifest);
    for (let i = 0; i < 5; i++) expect(ds.pixels.subarray(i * 12, (i + 1) * 12)).toEqual(image(i));
    expect([...ds.labels]).toEqual([0, 1, 0, 1, 0]);
  });

  it('stats: exact per-channel mean and population std in [0, 1]', async () => {
    // Images 0 and 1: R = {0, 1}, G = {0, 2}, B = {0, 3} (each on half of the pixels).
    const manifest = await write(2, 512);
    expect(manifest.stats.mean).toEqual([0.5 / 255, 1 / 255, 1.5 / 255]);
    manifest.stats.std.forEach((s, c) => expect(s).toBeCloseTo((0.5 * (c + 1)) / 255, 12));
  });

  it('stats use only train images when there are any (placement decided at finish)', async () => {
    const manifest = await write(3, 512, {
      split: { kind: 'patient-grouped', train: 0.5, seed: 0 },
      placement: [{ split: 'test', tenant: null }, { split: 'train', tenant: 'tenant-0' }, { split: 'test', tenant: null }],
    });
    expect(manifest.stats.mean).toEqual([1 / 255, 2 / 255, 3 / 255]);
    expect(manifest.stats.std).toEqual([0, 0, 0]);
    expect(manifest.images.map((e) => [e.split, e.tenant])).toEqual([['test', null], ['train', 'tenant-0'], ['test', null]]);
  });

  it('fingerprint: independent of order and shard size; changes with a label, the size or the label names', async () => {
    const images = [0, 1, 2].map((i) => ({ sha256: hex(i), label: i % 2 }));
    const a = datasetFingerprint(8, ['a', 'b'], images);
    expect(datasetFingerprint(8, ['a', 'b'], images.slice().reverse())).toBe(a);
    expect(datasetFingerprint(8, ['a', 'b'], [{ ...images[0]!, label: 1 }, ...images.slice(1)])).not.toBe(a);
    expect(datasetFingerprint(16, ['a', 'b'], images)).not.toBe(a);
    expect(datasetFingerprint(8, ['b', 'a'], images)).not.toBe(a);
    const m1 = await write(4, 1);
    const m2Dir = dir;
    dir = await mkdtemp(join(tmpdir(), 'dermagan-writer-'));
    const m2 = await write(4, 3);
    await rm(m2Dir, { recursive: true, force: true });
    expect(m2.fingerprint).toBe(m1.fingerprint);
  });

  it('writes manifest.json atomically (no temp files left) and readManifest validates it', async () => {
    await write(1, 512, { quarantine: [{ id: 'bad', reason: 'truncated', detail: 'premature end' }] });
    expect((await readdir(dir)).sort()).toEqual(['manifest.json', 'shards']);
    expect((await readManifest(dir)).quarantine).toEqual([{ id: 'bad', reason: 'truncated', detail: 'premature end' }]);
  });

  it('a shard path that leaves the dataset folder is refused before anything is read', async () => {
    await write(1, 512);
    const outside = join(dir, '..', `${basename(dir)}-outside.npy`);
    await copyFile(join(dir, 'shards', 'shard-00000.npy'), outside); // same bytes, same hash: only the path gives it away
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    manifest.shards[0].file = `../${basename(outside)}`;
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
    await expect(readManifest(dir)).rejects.toThrow(/climbs out with "\.\.".*at shards\[0\]\.file/s);
    await expect(loadImages(dir, manifest, manifest.images)).rejects.toThrow(/the path "\.\.\/.*-outside\.npy" climbs out with "\.\."/);
    for (const bad of ['/etc/passwd', 'file:///etc/passwd']) {
      manifest.shards[0].file = bad;
      await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
      await expect(readManifest(dir)).rejects.toThrow(/must stay inside/);
    }
    await rm(outside);
  });

  it('writes only into an absent or empty folder or a dataset: a foreign manifest.json is refused and kept', async () => {
    await writeFile(join(dir, 'manifest.json'), '{"name":"my web app"}');
    await expect(DatasetWriter.create({ dir, size: SIZE })).rejects.toThrow(/is not a dermagan dataset \(it holds a manifest\.json without the format dermagan\.dataset\/v1\)/);
    expect(await readdir(dir)).toEqual(['manifest.json']);
    await rm(join(dir, 'manifest.json'));
    const w = await DatasetWriter.create({ dir, size: SIZE });
    await w.append(image(1), { id: 'a', patient: 'p', label: 0, sha256: hex(1) });
    await w.finish(info);
    await DatasetWriter.create({ dir, size: SIZE }); // a dataset may be rewritten in place
  });

  it('an empty dataset is valid: no shards, no images', async () => {
    const manifest = await write(0, 512);
    expect(manifest.shards).toEqual([]);
    expect((await openDataset(dir)).pixels).toHaveLength(0);
  });

  it('throws on wrong pixel count, bad sha256, empty patient, an unnamed label, append after finish', async () => {
    const writer = await DatasetWriter.create({ dir, size: SIZE });
    await expect(writer.append(new Uint8Array(5), { id: 'x', patient: 'p', label: 0, sha256: hex(0) })).rejects.toThrow(/expected 2×2×3 = 12 bytes, got 5/);
    await expect(writer.append(image(0), { id: 'x', patient: 'p', label: 0, sha256: 'abc' })).rejects.toThrow(/sha256/);
    await expect(writer.append(image(0), { id: 'x', patient: '', label: 0, sha256: hex(0) })).rejects.toThrow(/non-empty/);
    await writer.append(image(0), { id: 'x', patient: 'p', label: 5, sha256: hex(0) });
    await expect(writer.finish(info)).rejects.toThrow(/label 5 but only 2 labels/);
    const w2 = await DatasetWriter.create({ dir: join(dir, 'b'), size: SIZE });
    await w2.finish(info);
    await expect(w2.append(image(0), { id: 'x', patient: 'p', label: 0, sha256: hex(0) })).rejects.toThrow(/finished/);
  });
});

describe('imageChunks', () => {
  it('gives the same images and labels as loadImages, a chunk at a time, for any chunk size and entry order', async () => {
    const manifest = await write(7, 3);
    for (const entries of [manifest.images, [...manifest.images].reverse(), manifest.images.filter((_, i) => i % 2 === 0)]) {
      const whole = await loadImages(dir, manifest, entries);
      for (const chunk of [1, 2, 3, 5, 100]) {
        const parts: Uint8Array[] = [];
        const labels: number[] = [];
        for await (const part of imageChunks(dir, manifest, entries, chunk)) {
          expect(part.entries.length).toBeLessThanOrEqual(chunk);
          parts.push(part.pixels);
          labels.push(...part.labels);
        }
        expect(Buffer.concat(parts)).toEqual(Buffer.from(whole.pixels));
        expect(labels).toEqual([...whole.labels]);
      }
    }
  });

  it('verifies each shard when it is reached: a corrupt one fails the pass after the chunks before it', async () => {
    const manifest = await write(6, 2);
    const shard = join(dir, manifest.shards[2]!.file);
    const bytes = await readFile(shard);
    bytes[bytes.length - 1]! ^= 0xff;
    await writeFile(shard, bytes);
    const seen: number[] = [];
    const pass = async () => {
      for await (const part of imageChunks(dir, manifest, manifest.images, 2)) seen.push(part.entries.length);
    };
    await expect(pass()).rejects.toThrow(/shard shards\/shard-00002\.npy is corrupt/);
    expect(seen).toEqual([2, 2]);
    await expect(imageChunks(dir, manifest, manifest.images, 0).next()).rejects.toThrow(RangeError);
  });
});

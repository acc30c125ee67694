import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeDatasets } from './merge.ts';
import { openDataset } from './reader.ts';
import { DatasetWriter } from './writer.ts';

async function tiny(name: string, label: number, values: number[], size = 2) {
  const dir = mkdtempSync(join(tmpdir(), `merge-${name}-`));
  const writer = await DatasetWriter.create({ dir, size });
  for (const [i, v] of values.entries()) {
    await writer.append(new Uint8Array(size * size * 3).fill(v), { id: `img${i}`, patient: `img${i}`, label, sha256: String(v).padStart(64, '0') });
  }
  await writer.finish({ name, labels: ['benign', 'malignant'], source: { kind: 'generated' }, split: { kind: 'none' }, tenants: null });
  return dir;
}

describe('mergeDatasets', () => {
  it('concatenates images in order, with ids prefixed by their dataset', async () => {
    const a = await tiny('ben', 0, [10, 20]);
    const b = await tiny('mal', 1, [30]);
    const out = mkdtempSync(join(tmpdir(), 'merged-'));
    const manifest = await mergeDatasets([a, b], out, 'synth-gan');
    expect(manifest.images.map((e) => [e.id, e.label])).toEqual([['ben/img0', 0], ['ben/img1', 0], ['mal/img0', 1]]);
    const data = await openDataset(out);
    expect([data.pixels[0], data.pixels[12], data.pixels[24]]).toEqual([10, 20, 30]);
    expect(manifest.source.generator).toMatchObject({ mergedFrom: [{ name: 'ben' }, { name: 'mal' }] });
  });

  it('throws when sizes or labels differ', async () => {
    const a = await tiny('a', 0, [1], 2);
    const b = await tiny('b', 0, [1], 4);
    await expect(mergeDatasets([a, b], mkdtempSync(join(tmpdir(), 'm-')), 'x')).rejects.toThrow(/has 4² images/);
    await expect(mergeDatasets([], mkdtempSync(join(tmpdir(), 'm-')), 'x')).rejects.toThrow(/no datasets/);
  });
});

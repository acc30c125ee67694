/** Small real and synthetic datasets in a store, for survey tests (random pixels, two classes). */
import { mkdtemp, rm } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FolderRef } from '@dermagan/contracts';
import { DatasetWriter } from '@dermagan/dataset';
import { publishFolder } from '@dermagan/runtime';
import type { ObjectStore } from '@dermagan/store';
import { seededRandom } from '@dermagan/ingest';

export async function putDataset(store: ObjectStore, bucket: string, prefix: string, options: { perClass: number[]; size?: number; seed?: number; generated?: boolean }): Promise<FolderRef> {
  const size = options.size ?? 8;
  const dir = await mkdtemp(join(tmpdir(), 'dermagan-survey-data-'));
  try {
    const writer = await DatasetWriter.create({ dir, size });
    const random = seededRandom(options.seed ?? 1);
    let n = 0;
    for (const [label, count] of options.perClass.entries()) {
      for (let i = 0; i < count; i++) {
        const pixels = new Uint8Array(size * size * 3).map(() => Math.floor(random() * 256));
        const id = `${options.generated ? 'seed' : 'ISIC_'}${String(n++).padStart(6, '0')}`;
        await writer.append(pixels, { id, patient: id, label, sha256: createHash('sha256').update(pixels).digest('hex') });
      }
    }
    const manifest = await writer.finish({
      name: prefix.replace(/\/+$/, '').split('/').pop()!,
      labels: ['benign', 'malignant'],
      source: options.generated ? { kind: 'generated', generator: {} } : { kind: 'folders' },
      split: { kind: 'none' },
      tenants: null,
    });
    await store.ensureBucket(bucket);
    return await publishFolder(store, dir, { bucket, prefix }, 'manifest.json', new Map(manifest.shards.map((s) => [s.file, s.sha256])));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Datasets already in the store when the portal starts (a study run before it, or on another
 * bus): every `datasets/…/manifest.json` (real) and `synthetic/…/manifest.json` (generated) is
 * indexed, so a survey can be made from them without their events.
 */
import { ArtifactPrefix } from '@dermagan/contracts';
import type { Queryable } from '@dermagan/db';
import type { ObjectStore } from '@dermagan/store';
import { upsertDataset } from './repository.ts';

export async function importDatasets(db: Queryable, store: ObjectStore, bucket: string): Promise<number> {
  let found = 0;
  for (const [prefix, kind] of [[ArtifactPrefix.datasets, 'real'], [ArtifactPrefix.synthetic, 'synthetic']] as const) {
    const keys = await store.list(bucket, prefix).catch(() => [] as string[]);
    for (const key of keys.filter((k) => k.endsWith('/manifest.json'))) {
      try {
        const manifest = JSON.parse((await store.getBytes(bucket, key)).toString('utf8')) as { format?: string; name?: string; images?: unknown[] };
        if (manifest.format !== 'dermagan.dataset/v1' || !Array.isArray(manifest.images)) continue;
        const ref = await store.stat(bucket, key);
        if (!ref) continue;
        const folder = key.slice(0, -'manifest.json'.length);
        await upsertDataset(db, { bucket, prefix: folder, name: manifest.name ?? folder, kind, count: manifest.images.length, ref: { bucket, prefix: folder, manifest: ref }, at: new Date() });
        found++;
      } catch {
        // Not a dataset manifest we can read: not ours to index.
      }
    }
  }
  return found;
}

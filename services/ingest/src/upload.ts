import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { ArtifactRef } from '@dermagan/contracts';
import type { DatasetManifest } from '@dermagan/dataset';
import type { ObjectStore } from '@dermagan/store';

/** Every file under `dir`, as '/'-separated paths relative to it, sorted. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'))
    .sort();
}

/**
 * Upload a dataset folder to `bucket` under `prefix` ('<prefix>/manifest.json', '<prefix>/shards/…').
 * Files are streamed (a shard can be hundreds of MB); shards are checked against the manifest's
 * sha256 on the way in; manifest.json goes last, so a reader that finds the manifest finds every
 * shard it names. Store errors pass through with their `retriable` flag (an outage is retriable).
 * Returns the manifest's reference.
 */
export async function uploadDataset(store: ObjectStore, dir: string, bucket: string, prefix: string, manifest: DatasetManifest): Promise<ArtifactRef> {
  const base = prefix.replace(/\/+$/, '');
  const expected = new Map(manifest.shards.map((s) => [s.file, s.sha256]));
  await store.ensureBucket(bucket);
  const files = (await listFiles(dir)).filter((f) => f !== 'manifest.json');
  for (const file of files) {
    const sha256 = expected.get(file);
    await store.put(bucket, `${base}/${file}`, createReadStream(join(dir, file)), {
      contentType: file.endsWith('.npy') ? 'application/x-npy' : 'application/octet-stream',
      ...(sha256 === undefined ? {} : { expectedSha256: sha256 }),
    });
  }
  return store.put(bucket, `${base}/manifest.json`, createReadStream(join(dir, 'manifest.json')), { contentType: 'application/json' });
}

import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDirectory, putDirectory } from './directory.ts';
import { NotFoundError } from './errors.ts';
import { LocalStore } from './local-store.ts';
import type { ObjectStore, PutOptions } from './store.ts';

let work: string;
let store: LocalStore;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'dermagan-directory-'));
  store = new LocalStore({ root: join(work, 'store') });
  await store.ensureBucket('datasets');
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A dataset-shaped folder: manifest.json + shards/*.npy. */
async function makeDataset(dir: string): Promise<Record<string, Buffer>> {
  const files: Record<string, Buffer> = {
    'manifest.json': Buffer.from('{"format":"dermagan.dataset/v1"}'),
    'shards/shard-00000.npy': Buffer.alloc(3000, 1),
    'shards/shard-00001.npy': Buffer.alloc(2000, 2),
    'stats/channels.json': Buffer.from('[1,2,3]'),
  };
  for (const [path, bytes] of Object.entries(files)) {
    await mkdir(join(dir, ...path.split('/').slice(0, -1)), { recursive: true });
    await writeFile(join(dir, ...path.split('/')), bytes);
  }
  return files;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('putDirectory / getDirectory', () => {
  it('round-trips a dataset folder under a prefix, byte for byte', async () => {
    const files = await makeDataset(join(work, 'src-1'));
    const put = await putDirectory(store, 'datasets', 'd1', join(work, 'src-1'));
    expect(put.map((r) => [r.key, r.sha256, r.size])).toEqual(
      Object.keys(files).sort().map((path) => [`d1/${path}`, sha256(files[path]!), files[path]!.length]),
    );
    expect(put.find((r) => r.key === 'd1/manifest.json')?.contentType).toBe('application/json');

    const got = await getDirectory(store, 'datasets', 'd1/', join(work, 'dst-1'));
    expect(got.map((r) => [r.key, r.sha256, r.size])).toEqual(put.map((r) => [r.key, r.sha256, r.size]));
    for (const [path, bytes] of Object.entries(files)) {
      expect(Buffer.compare(await readFile(join(work, 'dst-1', ...path.split('/'))), bytes)).toBe(0);
    }
  });

  it('puts manifest.json after every shard', async () => {
    await makeDataset(join(work, 'src-2'));
    const order: string[] = [];
    const recording: ObjectStore = Object.create(store, {
      put: { value: (b: string, k: string, body: never, o?: PutOptions) => (order.push(k), store.put(b, k, body, o)) },
    });
    await putDirectory(recording, 'datasets', 'd2/', join(work, 'src-2'), { concurrency: 3 });
    expect(order.at(-1)).toBe('d2/manifest.json');
    expect(order).toHaveLength(4);
  });

  it('throws NotFoundError for a prefix with nothing under it', async () => {
    const err = await getDirectory(store, 'datasets', 'absent/', join(work, 'dst-3')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as Error).message).toContain('no objects under "datasets/absent/"');
  });

  it('refuses an empty folder', async () => {
    await mkdir(join(work, 'empty'));
    await expect(putDirectory(store, 'datasets', 'e/', join(work, 'empty'))).rejects.toThrow(/holds no files/);
  });
});

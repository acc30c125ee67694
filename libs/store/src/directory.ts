import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, unlink } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ArtifactRef } from '@dermagan/contracts';
import { NotFoundError } from './errors.ts';
import { HashingStream } from './hashing.ts';
import { checkBucket, checkKey, checkPrefix } from './keys.ts';
import type { ObjectStore } from './store.ts';

/**
 * Folders through the store: a dataset (`manifest.json` + `shards/*.npy`) or a model travels as
 * the set of objects under one key prefix, `<prefix><relative path>`.
 */
export interface DirectoryOptions {
  /**
   * Relative paths written after every other file, in this order (default `['manifest.json']`):
   * a reader that finds the manifest finds every file it names. Paths not present are skipped.
   */
  commitLast?: string[];
  /** Transfers in flight at once (default 4). */
  concurrency?: number;
}

const DEFAULTS = { commitLast: ['manifest.json'], concurrency: 4 };

/** Puts every file under `localDir` as `<prefix><path>`; returns the references sorted by key. */
export async function putDirectory(store: ObjectStore, bucket: string, prefix: string, localDir: string, options: DirectoryOptions = {}): Promise<ArtifactRef[]> {
  checkBucket(bucket);
  const base = normalizePrefix(prefix);
  const { commitLast, concurrency } = { ...DEFAULTS, ...options };
  const files = await listFiles(localDir);
  if (files.length === 0) throw new Error(`putDirectory: ${localDir} holds no files; nothing to put under ${bucket}/${base}`);
  const last = commitLast.filter((path) => files.includes(path));
  const first = files.filter((path) => !last.includes(path));
  const put = (path: string) => store.put(bucket, base + path, createReadStream(join(localDir, ...path.split('/'))), { contentType: contentTypeOf(path) });
  const refs = await mapLimit(first, concurrency, put);
  for (const path of last) refs.push(await put(path));
  return refs.sort((a, b) => (a.key < b.key ? -1 : 1));
}

/**
 * Writes every object under `<prefix>` to `localDir/<path>` (each file verified while streaming,
 * written to a temp name and renamed); returns the references sorted by key. Throws NotFoundError
 * when nothing is stored under the prefix.
 */
export async function getDirectory(store: ObjectStore, bucket: string, prefix: string, localDir: string, options: Pick<DirectoryOptions, 'concurrency'> = {}): Promise<ArtifactRef[]> {
  checkBucket(bucket);
  const base = normalizePrefix(prefix);
  const keys = await store.list(bucket, base);
  if (keys.length === 0) {
    const missing = new NotFoundError(bucket, base, store.url);
    missing.message = `no objects under "${bucket}/${base}" in ${store.url}`;
    throw missing;
  }
  const fetchOne = async (key: string): Promise<ArtifactRef> => {
    const path = key.slice(base.length);
    checkKey(path);
    const target = join(localDir, ...path.split('/'));
    const temp = `${target}.partial-${randomBytes(4).toString('hex')}`;
    await mkdir(dirname(target), { recursive: true });
    const hashing = new HashingStream();
    try {
      await pipeline(await store.get(bucket, key), hashing, createWriteStream(temp, { flags: 'wx' }));
      await rename(temp, target);
    } catch (err) {
      await unlink(temp).catch(() => undefined);
      throw err;
    }
    return { bucket, key, sha256: hashing.digest(), size: hashing.size };
  };
  const refs = await mapLimit(keys, options.concurrency ?? DEFAULTS.concurrency, fetchOne);
  return refs.sort((a, b) => (a.key < b.key ? -1 : 1));
}

/** '' stays '', 'a/b' and 'a/b/' both become 'a/b/'. */
function normalizePrefix(prefix: string): string {
  checkPrefix(prefix);
  return prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
}

/** Regular files under `dir`, as sorted '/'-separated relative paths. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .sort();
}

function contentTypeOf(path: string): string {
  if (path.endsWith('.json')) return 'application/json';
  if (path.endsWith('.npy')) return 'application/x-npy';
  return 'application/octet-stream';
}

/** Runs `fn` over `items` with at most `limit` in flight; results in input order. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

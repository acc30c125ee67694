/**
 * Folder artifacts (datasets, checkpoints, models) between a local directory and the store.
 *
 * - `publishFolder` uploads every file under a prefix, the manifest last, so a reader that finds
 *   the manifest finds everything it names; it returns the FolderRef that events carry.
 * - `FolderCache.fetch` materialises a FolderRef locally, once: the copy is keyed by the manifest's
 *   sha256 (the manifest lists every file's hash, so equal manifests mean equal folders), every
 *   download is verified by the store, and a half-finished copy is never reused.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FolderRef, OutputLocation } from '@dermagan/contracts';
import type { ObjectStore } from '@dermagan/store';

/** Every file under `dir`, '/'-separated and relative to it, sorted. */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'))
    .sort();
}

function normalisePrefix(prefix: string): string {
  return `${prefix.replace(/\/+$/, '')}/`;
}

/**
 * Upload `dir` to `location` (streamed), `manifestFile` last. `expected` optionally maps relative
 * file names to the sha256 they must have (the upload fails rather than store a corrupt file).
 */
export async function publishFolder(
  store: ObjectStore,
  dir: string,
  location: OutputLocation,
  manifestFile: string,
  expected: ReadonlyMap<string, string> = new Map(),
): Promise<FolderRef> {
  const prefix = normalisePrefix(location.prefix);
  await store.ensureBucket(location.bucket);
  const files = await listFiles(dir);
  if (!files.includes(manifestFile)) throw new Error(`publishFolder: ${dir} has no ${manifestFile}`);
  for (const file of files.filter((f) => f !== manifestFile)) {
    const sha256 = expected.get(file);
    await store.put(location.bucket, prefix + file, createReadStream(join(dir, file)), sha256 === undefined ? {} : { expectedSha256: sha256 });
  }
  const manifest = await store.put(location.bucket, prefix + manifestFile, createReadStream(join(dir, manifestFile)), {
    contentType: 'application/json',
  });
  return { bucket: location.bucket, prefix, manifest };
}

export class FolderCache {
  constructor(
    private readonly store: ObjectStore,
    /** Local root of the cached copies. */
    private readonly root: string,
  ) {}

  /** The local path of the folder, downloading it first if this cache lacks it. */
  async fetch(ref: FolderRef): Promise<string> {
    const dir = join(this.root, ref.manifest.sha256);
    if (await exists(join(dir, '.complete'))) return dir;
    const current = await this.store.stat(ref.manifest.bucket, ref.manifest.key);
    if (!current || current.sha256 !== ref.manifest.sha256) {
      throw new Error(
        `folder ${ref.bucket}/${ref.prefix} has changed or is gone since it was announced ` +
          `(manifest ${ref.manifest.key} sha256 ${current?.sha256 ?? 'missing'} ≠ ${ref.manifest.sha256})`,
      );
    }
    const partial = `${dir}.partial-${process.pid}-${Date.now()}`;
    try {
      const prefix = normalisePrefix(ref.prefix);
      for (const key of await this.store.list(ref.bucket, prefix)) {
        const target = join(partial, ...key.slice(prefix.length).split('/'));
        await mkdir(dirname(target), { recursive: true });
        await pipeline(await this.store.get(ref.bucket, key), createWriteStream(target));
      }
      await pipeline(async function* () {}, createWriteStream(join(partial, '.complete')));
      await rm(dir, { recursive: true, force: true });
      await rename(partial, dir);
    } catch (err) {
      await rm(partial, { recursive: true, force: true });
      throw err;
    }
    return dir;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

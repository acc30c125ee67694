/**
 * Folder artifacts (datasets, checkpoints, models) between a local directory and the store.
 *
 * - `publishFolder` uploads every file under a prefix, the manifest last, so a reader that finds
 *   the manifest finds everything it names; it returns the FolderRef that events carry.
 * - `FolderCache.fetch` materialises a FolderRef locally, once: the copy is keyed by the manifest's
 *   sha256 (the manifest lists every file's hash, so equal manifests mean equal folders), every
 *   download is verified by the store, and a half-finished copy is never reused.
 */
import { randomBytes } from 'node:crypto';
import { rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FolderRef, OutputLocation } from '@dermagan/contracts';
import { getDirectory, putDirectory, type ObjectStore } from '@dermagan/store';

function normalisePrefix(prefix: string): string {
  return `${prefix.replace(/\/+$/, '')}/`;
}

/**
 * Upload `dir` to `location` (streamed, `manifestFile` last) and return its FolderRef. `expected`
 * maps relative file names to the sha256 they must have (e.g. a dataset's shards): a file that
 * changed while it was uploaded fails the publication instead of being announced.
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
  const refs = await putDirectory(store, location.bucket, prefix, dir, { commitLast: [manifestFile] });
  const manifest = refs.find((r) => r.key === prefix + manifestFile);
  if (!manifest) throw new Error(`publishFolder: ${dir} has no ${manifestFile}`);
  const stored = new Map(refs.map((r) => [r.key.slice(prefix.length), r.sha256]));
  for (const [file, sha256] of expected) {
    if (stored.get(file) !== sha256) {
      throw new Error(`publishFolder: ${location.bucket}/${prefix}${file} does not hash to the expected ${sha256}; the local folder changed during upload`);
    }
  }
  return { bucket: location.bucket, prefix, manifest };
}

export class FolderCache {
  /** Downloads under way in this process, by local folder: a second fetch waits for the first. */
  private readonly inFlight = new Map<string, Promise<string>>();

  constructor(
    private readonly store: ObjectStore,
    /** Local root of the cached copies. */
    private readonly root: string,
  ) {}

  /** The local path of the folder, downloading it first if this cache lacks it. */
  async fetch(ref: FolderRef): Promise<string> {
    const dir = join(this.root, ref.manifest.sha256);
    if (await exists(join(dir, '.complete'))) return dir;
    let download = this.inFlight.get(dir);
    if (!download) {
      download = this.download(ref, dir).finally(() => this.inFlight.delete(dir));
      this.inFlight.set(dir, download);
    }
    return download;
  }

  /**
   * Download into a partial folder, mark it complete, rename it into place. The folder only ever
   * appears complete (it is made by that rename), so when another process got there first its copy
   * — of the same manifest, hence the same files — is kept and this one dropped; a folder in use is
   * never replaced.
   */
  private async download(ref: FolderRef, dir: string): Promise<string> {
    const current = await this.store.stat(ref.manifest.bucket, ref.manifest.key);
    if (!current || current.sha256 !== ref.manifest.sha256) {
      throw new Error(
        `folder ${ref.bucket}/${ref.prefix} has changed or is gone since it was announced ` +
          `(manifest ${ref.manifest.key} sha256 ${current?.sha256 ?? 'missing'} ≠ ${ref.manifest.sha256})`,
      );
    }
    const partial = `${dir}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await getDirectory(this.store, ref.bucket, ref.prefix, partial);
      await writeFile(join(partial, '.complete'), '');
      await rename(partial, dir).catch(async (err: NodeJS.ErrnoException) => {
        if ((err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') || !(await exists(join(dir, '.complete')))) throw err;
        await rm(partial, { recursive: true, force: true });
      });
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

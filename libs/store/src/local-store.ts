import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rmdir, stat as statPath, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { pipeline as pipelineStreams, type Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import type { ArtifactRef } from '@dermagan/contracts';
import { IntegrityError, InvalidKeyError, NotFoundError, ObjectExistsError, StoreUnavailableError } from './errors.ts';
import { withFileLock } from './file-lock.ts';
import { adoptSource, readAll, sha256OfFile, VerifyingStream } from './hashing.ts';
import { writeHashing } from './spool.ts';
import { checkBucket, checkKey, checkPrefix, TEMP_MARKER } from './keys.ts';
import { DEFAULT_CONTENT_TYPE, type ObjectStore, type PutOptions } from './store.ts';

export interface LocalStoreOptions {
  /** Absolute folder holding one subfolder per bucket; created when missing. */
  root: string;
  /** fsync each object, its sidecar and their folders before a put returns (default true: durable across a crash). */
  fsync?: boolean;
}

/**
 * What the sidecar records for one object. `mtimeNs` and `size` tie it to the exact data file it
 * was written with, so a reader that opens the data between a put's two renames can tell the
 * sidecar is not yet the one for those bytes and settles the pair (see settle) instead of
 * reporting corruption.
 */
interface Sidecar {
  sha256: string;
  size: number;
  contentType: string;
  /** The data file's mtime in nanoseconds, as a decimal string. */
  mtimeNs: string;
}

/** Folder (under root) that mirrors the buckets with one `<key>.json` sidecar per object. */
const META_DIR = '.dermagan-meta';
/** How often a reader settles and looks again when data and sidecar disagree (puts keep replacing the object). */
const SETTLE_ATTEMPTS = 5;
/** Filesystem failures that may pass (full disk, I/O error, too many open files). */
const TRANSIENT_FS_CODES = new Set(['EIO', 'ENOSPC', 'EMFILE', 'ENFILE', 'EAGAIN', 'EBUSY']);

/**
 * The artifact store as a local folder: `<root>/<bucket>/<key>` holds the object's bytes (a plain
 * file you can open), `<root>/.dermagan-meta/<bucket>/<key>.json` its sha256, size and content type.
 *
 * A put streams into a temp file in the object's own folder while hashing, fsyncs it, writes the
 * sidecar the same way, then renames both into place (data first) under a per-key lock file: a
 * reader sees the old object or the new one, never a partial one, and a put killed between the two
 * renames is finished by the next reader. A get streams the file through a hash and errors the
 * stream with IntegrityError when the bytes do not match the sidecar.
 */
export class LocalStore implements ObjectStore {
  readonly url: string;
  private readonly root: string;
  private readonly fsync: boolean;

  constructor(options: LocalStoreOptions) {
    if (typeof options?.root !== 'string' || !isAbsolute(options.root)) {
      throw new TypeError(`LocalStore: root must be an absolute folder path, got ${JSON.stringify(options?.root)}`);
    }
    this.root = resolve(options.root);
    this.fsync = options.fsync ?? true;
    this.url = pathToFileURL(this.root).href;
  }

  async ensureBucket(bucket: string): Promise<void> {
    checkBucket(bucket);
    await this.fs(`ensureBucket ${bucket}`, async () => {
      await mkdir(this.bucketDir(bucket), { recursive: true });
      await mkdir(join(this.root, META_DIR, bucket), { recursive: true });
    });
  }

  async put(bucket: string, key: string, body: Readable | Uint8Array | string, options: PutOptions = {}): Promise<ArtifactRef> {
    checkBucket(bucket);
    checkKey(key);
    const source = adoptSource(body);
    try {
      await this.requireBucket(bucket, key);
    } catch (err) {
      source.destroy(); // release the caller's stream (e.g. an open file) we will not read
      throw err;
    }
    const dataPath = this.dataPath(bucket, key);
    const metaPath = this.metaPath(bucket, key);
    const suffix = `${TEMP_MARKER}${randomBytes(6).toString('hex')}`;
    const dataTemp = dataPath + suffix;
    const metaTemp = metaPath + suffix;
    try {
      // Stream the bytes into a temp file beside the target, hashing on the way.
      await this.makeParent(dataPath, bucket, key);
      const handle = await open(dataTemp, 'wx');
      let mtimeNs: bigint;
      let written: { sha256: string; size: number };
      try {
        written = await writeHashing(source, handle);
        if (this.fsync) await handle.sync();
        mtimeNs = (await handle.stat({ bigint: true })).mtimeNs;
      } finally {
        await handle.close();
      }
      const ref: ArtifactRef = { bucket, key, sha256: written.sha256, size: written.size, contentType: options.contentType ?? DEFAULT_CONTENT_TYPE };
      if (options.expectedSha256 !== undefined && options.expectedSha256 !== ref.sha256) {
        throw new IntegrityError(bucket, key, options.expectedSha256, ref.sha256, `the bytes written hash to ${ref.sha256}, expected ${options.expectedSha256}; nothing was stored`);
      }

      // Write the sidecar the same way, then move both into place under the key's lock.
      const sidecar: Sidecar = { sha256: ref.sha256, size: ref.size, contentType: ref.contentType!, mtimeNs: mtimeNs.toString() };
      await mkdir(dirname(metaPath), { recursive: true });
      await this.writeSynced(metaTemp, JSON.stringify(sidecar));
      await withFileLock(metaPath + '.lock', async () => {
        if (options.ifAbsent && (await fileExists(dataPath))) throw new ObjectExistsError(bucket, key, this.url);
        await rename(dataTemp, dataPath);
        await rename(metaTemp, metaPath);
      });
      if (this.fsync) await Promise.all([syncDir(dirname(dataPath)), syncDir(dirname(metaPath))]);
      return ref;
    } catch (err) {
      source.destroy();
      await Promise.all([unlink(dataTemp).catch(() => undefined), unlink(metaTemp).catch(() => undefined)]);
      throw this.wrapFs(err, `put ${bucket}/${key}`);
    }
  }

  async get(bucket: string, key: string): Promise<Readable> {
    checkBucket(bucket);
    checkKey(key);
    const { handle, sidecar } = await this.openVerified(bucket, key);
    const verify = new VerifyingStream((sha256, size) =>
      sha256 === sidecar.sha256 && size === sidecar.size
        ? null
        : new IntegrityError(bucket, key, sidecar.sha256, sha256, `the stored bytes (${size} B, sha256 ${sha256}) do not match what was written (${sidecar.size} B, sha256 ${sidecar.sha256}): the file was corrupted or modified outside the store`),
    );
    // pipeline: an early destroy by the consumer closes the file, a read error reaches the consumer.
    return pipelineStreams(handle.createReadStream({ autoClose: true }), verify, () => undefined);
  }

  async getBytes(bucket: string, key: string): Promise<Buffer> {
    return readAll(await this.get(bucket, key));
  }

  async stat(bucket: string, key: string): Promise<ArtifactRef | null> {
    checkBucket(bucket);
    checkKey(key);
    try {
      for (let attempt = 0; ; attempt++) {
        const [info, sidecar] = await Promise.all([statPath(this.dataPath(bucket, key), { bigint: true }), this.readSidecar(bucket, key)]);
        // ENOENT above: no object (a delete removes the data first) → null
        if (sidecar !== null && writtenWith(sidecar, info)) return refOf(bucket, key, sidecar);
        if (attempt < SETTLE_ATTEMPTS && (await this.settle(bucket, key))) continue;
        if (sidecar !== null) return refOf(bucket, key, sidecar); // copied folder: a get's sha256 check decides
        throw this.noChecksum(bucket, key); // a file dropped in by hand
      }
    } catch (err) {
      if (isMissing(err)) return null;
      throw this.wrapFs(err, `stat ${bucket}/${key}`);
    }
  }

  async list(bucket: string, prefix = ''): Promise<string[]> {
    checkBucket(bucket);
    checkPrefix(prefix);
    await this.requireBucket(bucket, undefined);
    // Walk only the folder the prefix pins down (`a/b/c` → `a/b`), then filter by the full prefix.
    const fixed = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    const start = fixed === '' ? this.bucketDir(bucket) : join(this.bucketDir(bucket), ...fixed.split('/'));
    const keys: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        if (isMissing(err) || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return;
        throw err;
      }
      for (const entry of entries) {
        const full = join(dir, entry.name);
        if (entry.isDirectory()) await walk(full);
        else if (entry.isFile() && !entry.name.includes(TEMP_MARKER)) {
          const key = relative(this.bucketDir(bucket), full).split(sep).join('/');
          if (key.startsWith(prefix)) keys.push(key);
        }
      }
    };
    await this.fs(`list ${bucket}/${prefix}`, () => walk(start));
    return keys.sort();
  }

  async delete(bucket: string, key: string): Promise<void> {
    checkBucket(bucket);
    checkKey(key);
    const dataPath = this.dataPath(bucket, key);
    const metaPath = this.metaPath(bucket, key);
    try {
      await statPath(dirname(metaPath));
    } catch (err) {
      if (isMissing(err)) return; // neither the object nor its folder exists
      throw this.wrapFs(err, `delete ${bucket}/${key}`);
    }
    await this.fs(`delete ${bucket}/${key}`, async () => {
      await withFileLock(metaPath + '.lock', async () => {
        await unlink(dataPath).catch(ignoreMissing);
        await unlink(metaPath).catch(ignoreMissing);
      });
      // Drop folders the delete left empty, so a later put of a key equal to a folder name works.
      await removeEmptyParents(dirname(dataPath), this.bucketDir(bucket));
      await removeEmptyParents(dirname(metaPath), join(this.root, META_DIR, bucket));
    });
  }

  async ping(): Promise<boolean> {
    try {
      return (await statPath(this.root)).isDirectory();
    } catch {
      return false;
    }
  }

  // Open the data file and its sidecar as one consistent pair (see Sidecar).
  private async openVerified(bucket: string, key: string): Promise<{ handle: FileHandle; sidecar: Sidecar }> {
    for (let attempt = 0; ; attempt++) {
      let handle: FileHandle;
      try {
        handle = await open(this.dataPath(bucket, key), 'r');
      } catch (err) {
        if (isMissing(err) || (err as NodeJS.ErrnoException).code === 'ENOTDIR') throw new NotFoundError(bucket, key, this.url);
        throw this.wrapFs(err, `get ${bucket}/${key}`);
      }
      try {
        const [info, sidecar] = await Promise.all([handle.stat({ bigint: true }), this.readSidecar(bucket, key)]);
        if (sidecar !== null && writtenWith(sidecar, info)) return { handle, sidecar };
        if (attempt < SETTLE_ATTEMPTS && (await this.settle(bucket, key))) {
          await handle.close(); // a put moved in meanwhile, or a cut-off one was finished: open the pair again
          continue;
        }
        // E.g. the folder was copied and mtimes changed: the sha256 check while streaming decides.
        if (sidecar !== null) return { handle, sidecar };
        throw this.noChecksum(bucket, key);
      } catch (err) {
        await handle.close();
        throw this.wrapFs(err, `get ${bucket}/${key}`);
      }
    }
  }

  /**
   * A put renames its data into place, then its sidecar. Killed between the two, it leaves the new
   * bytes beside the old sidecar, and the new sidecar (written and synced before either rename) as
   * a temp file beside it. Under the key's lock (a live put finishes first; a dead one's lock goes
   * stale), rename the temp sidecar whose sha256 and size are those of the data file into place:
   * the put completes as if it had not been cut off. True when the pair is consistent after it
   * (also when a live put was between its renames: the lock waits for it).
   */
  private async settle(bucket: string, key: string): Promise<boolean> {
    const dataPath = this.dataPath(bucket, key);
    const metaPath = this.metaPath(bucket, key);
    return withFileLock(metaPath + '.lock', async () => {
      const info = await statPath(dataPath, { bigint: true }).catch((err: unknown) => (isMissing(err) ? null : Promise.reject(err)));
      if (info === null) return false;
      const current = await this.readSidecar(bucket, key).catch(() => null);
      if (current !== null && writtenWith(current, info)) return true; // settled meanwhile
      const folder = dirname(metaPath);
      const prefix = basename(metaPath) + TEMP_MARKER;
      const temps = (await readdir(folder).catch(() => [] as string[])).filter((name) => name.startsWith(prefix));
      if (temps.length === 0) return false;
      const data = await sha256OfFile(dataPath);
      for (const name of temps) {
        const temp = await readFile(join(folder, name), 'utf8')
          .then((text) => JSON.parse(text) as Sidecar)
          .catch(() => null); // cut off while the sidecar itself was written: not this put's
        if (temp === null || temp.sha256 !== data.sha256 || temp.size !== data.size) continue;
        await rename(join(folder, name), metaPath);
        if (this.fsync) await syncDir(folder);
        return true;
      }
      return false;
    });
  }

  private noChecksum(bucket: string, key: string): IntegrityError {
    return new IntegrityError(bucket, key, null, 'unknown', `no checksum is recorded for it (missing ${this.metaPath(bucket, key)}): it was not written through the store; put it again`);
  }

  private async readSidecar(bucket: string, key: string): Promise<Sidecar | null> {
    let text: string;
    try {
      text = await readFile(this.metaPath(bucket, key), 'utf8');
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
    try {
      return JSON.parse(text) as Sidecar;
    } catch {
      throw new IntegrityError(bucket, key, null, 'unknown', `its checksum sidecar ${this.metaPath(bucket, key)} is not valid JSON`);
    }
  }

  private async requireBucket(bucket: string, key: string | undefined): Promise<void> {
    try {
      if ((await statPath(this.bucketDir(bucket))).isDirectory()) return;
    } catch (err) {
      if (!isMissing(err)) throw this.wrapFs(err, `stat bucket ${bucket}`);
    }
    const missing = new NotFoundError(bucket, undefined, this.url);
    missing.message += key === undefined ? '; create it with ensureBucket()' : ` (writing "${key}"); create it with ensureBucket()`;
    throw missing;
  }

  // mkdir -p for the object's folder; a path component that is an object gives a clear error.
  private async makeParent(dataPath: string, bucket: string, key: string): Promise<void> {
    try {
      await mkdir(dirname(dataPath), { recursive: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTDIR' || code === 'EEXIST') {
        throw new InvalidKeyError(`put ${bucket}/${key}: a prefix of the key is an existing object in this local store (a local folder cannot hold both "a" and "a/b")`);
      }
      throw err;
    }
  }

  private async writeSynced(path: string, text: string): Promise<void> {
    const handle = await open(path, 'wx');
    try {
      await handle.writeFile(text);
      if (this.fsync) await handle.sync();
    } finally {
      await handle.close();
    }
  }

  private bucketDir(bucket: string): string {
    return join(this.root, bucket);
  }

  private dataPath(bucket: string, key: string): string {
    return join(this.root, bucket, ...key.split('/'));
  }

  private metaPath(bucket: string, key: string): string {
    return join(this.root, META_DIR, bucket, ...key.split('/')) + '.json';
  }

  private async fs<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.wrapFs(err, operation);
    }
  }

  // Transient filesystem failures become StoreUnavailableError; everything else passes unchanged.
  private wrapFs(err: unknown, operation: string): unknown {
    const code = (err as NodeJS.ErrnoException)?.code;
    if (typeof code === 'string' && TRANSIENT_FS_CODES.has(code)) return new StoreUnavailableError(this.url, operation, 1, err);
    return err;
  }
}

function refOf(bucket: string, key: string, sidecar: Sidecar): ArtifactRef {
  return { bucket, key, sha256: sidecar.sha256, size: sidecar.size, contentType: sidecar.contentType };
}

/** Whether the sidecar was written with this very data file (see Sidecar). */
function writtenWith(sidecar: Sidecar, data: { mtimeNs: bigint; size: bigint }): boolean {
  return sidecar.mtimeNs === data.mtimeNs.toString() && sidecar.size === Number(data.size);
}

async function fileExists(path: string): Promise<boolean> {
  try {
    await statPath(path);
    return true;
  } catch (err) {
    if (isMissing(err)) return false;
    throw err;
  }
}

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException)?.code === 'ENOENT';
}

function ignoreMissing(err: unknown): void {
  if (!isMissing(err)) throw err;
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function removeEmptyParents(dir: string, stopAt: string): Promise<void> {
  while (dir.startsWith(stopAt + sep)) {
    try {
      await rmdir(dir);
    } catch {
      return; // not empty (or gone): stop
    }
    dir = dirname(dir);
  }
}

/**
 * A file written whole or not at all: the bytes go to a hidden temp file beside it, which is then
 * renamed over the name (atomic on one file system). A process killed mid-write leaves the old
 * file (or none) and at most a `.<name>.partial-*` temp file, never a half-written one.
 */
import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Write `data` to `path` whole; `mode` sets the file's permissions from its creation (0o600: owner only). */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.partial-${randomBytes(4).toString('hex')}`);
  try {
    await writeFile(temp, data, { flag: 'wx', mode });
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

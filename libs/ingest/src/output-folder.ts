import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { IngestError } from './errors.ts';

/**
 * The output folder is replaced as a whole: ingest writes into a hidden sibling
 * (`.<name>.partial-<random>`) and renames it into place at the end, so a reader never sees a
 * half-written dataset and a failed run leaves the previous dataset untouched. The target may be
 * absent, empty, or a previous dermagan dataset (it has manifest.json); anything else is refused
 * so ingest never deletes a user's files.
 */
export async function checkOutputFolder(out: string): Promise<void> {
  let info;
  try {
    info = await stat(out);
  } catch {
    return; // absent
  }
  if (!info.isDirectory()) throw new IngestError(`--out ${out} exists and is not a folder; choose another path`);
  const names = await readdir(out);
  if (names.length > 0 && !names.includes('manifest.json')) {
    throw new IngestError(`--out ${out} is a non-empty folder that is not a dermagan dataset; choose an empty or new folder`);
  }
}

/** A fresh hidden working folder beside `out`. */
export async function createStagingFolder(out: string): Promise<string> {
  await mkdir(dirname(out), { recursive: true });
  const staging = join(dirname(out), `.${basename(out)}.partial-${randomBytes(4).toString('hex')}`);
  await mkdir(staging);
  return staging;
}

/** Put `staging` in place of `out` (the old folder, if any, is removed after the swap). */
export async function replaceFolder(staging: string, out: string): Promise<void> {
  await checkOutputFolder(out);
  const old = join(dirname(out), `.${basename(out)}.old-${randomBytes(4).toString('hex')}`);
  let moved = false;
  try {
    await rename(out, old);
    moved = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await rename(staging, out);
  if (moved) await rm(old, { recursive: true, force: true });
}

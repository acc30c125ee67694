/**
 * The study's source data, recognised before it is ingested: a metadata CSV (its bytes, and the
 * names and sizes of the files in its folder) or a folder per class (the names and sizes of its
 * files). Cheap enough for 33k images (no image is read), so a re-run can tell that the data
 * changed before it reuses anything made from the old data. A file replaced by another of the
 * same name and size is not noticed (ingest's manifest fingerprint is; `--restart ingest`).
 */
import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';

/** The fingerprint (sha256 hex) of the source at `path`, or null when this process cannot read it (a path only the ingest service sees). */
export async function sourceFingerprint(path: string): Promise<string | null> {
  let info;
  try {
    info = await stat(path);
  } catch {
    return null;
  }
  const hash = createHash('sha256');
  const root = info.isDirectory() ? path : dirname(path);
  if (info.isFile()) hash.update(`csv\0${createHash('sha256').update(await readFile(path)).digest('hex')}\0`);
  for (const file of await listFiles(root)) {
    hash.update(`${relative(root, file.path)}\0${file.size}\0`);
  }
  return hash.digest('hex');
}

/** Every regular file under `root` (links are not followed), sorted by path. */
async function listFiles(root: string): Promise<Array<{ path: string; size: number }>> {
  const files: Array<{ path: string; size: number }> = [];
  const walk = async (dir: string) => {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const e of entries) {
      const full = join(dir, e.name);
      if (e.isDirectory()) await walk(full);
      else if (e.isFile()) files.push({ path: full, size: (await stat(full)).size });
    }
  };
  await walk(root);
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

import type { Dirent } from 'node:fs';
import { readdir, readlink, stat } from 'node:fs/promises';
import { extname, join, basename } from 'node:path';
import { realPathInside } from '@dermagan/safe-io';
import { IngestError } from '../errors.ts';
import type { SourceRow } from './source.ts';

/** Extensions tried in this order when one id has several files (`x.jpg` and `x.png`). */
const PREFERRED = ['.jpg', '.jpeg', '.png', '.tif', '.tiff', '.webp'];

/**
 * The images directly inside a source's folders, by file stem, so a CSV id such as `ISIC_0015719`
 * finds `ISIC_0015719.jpg` with one readdir per folder instead of a stat per row. A symbolic link
 * is followed only when it points inside its own folder (the index then holds the real path); a
 * link out of it is `refused`, so ingest never reads an image outside the source it was given.
 */
export interface ImageIndex {
  /** File stem → absolute path of the image. */
  files: Map<string, string>;
  /** File stem → why its file is not read (a link that leaves its folder). */
  refused: Map<string, string>;
}

/**
 * Index the files directly inside `dirs` (earlier folders win; within one, the PREFERRED
 * extension order). Folders that do not exist are skipped; `explicit` folders must exist.
 */
export async function indexImages(dirs: readonly string[], explicit = false): Promise<ImageIndex> {
  const index: ImageIndex = { files: new Map(), refused: new Map() };
  for (const dir of dirs) {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (explicit) {
        throw new IngestError(`image folder ${dir} cannot be read (${(err as NodeJS.ErrnoException).code}); check --images`, { cause: err });
      }
      continue;
    }
    const rank = (name: string) => {
      const r = PREFERRED.indexOf(extname(name).toLowerCase());
      return r < 0 ? PREFERRED.length : r;
    };
    entries.sort((a, b) => rank(a.name) - rank(b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const stem = basename(entry.name, extname(entry.name));
      if (index.files.has(stem) || index.refused.has(stem)) continue;
      const file = await confinedFile(dir, entry);
      if (file.path !== null) index.files.set(stem, file.path);
      else index.refused.set(stem, file.why);
    }
  }
  return index;
}

/** An entry of `dir` as the path to read: itself, or for a link the real path when it stays inside `root`. */
export async function confinedFile(dir: string, entry: Dirent, root = dir): Promise<{ path: string; why?: undefined } | { path: null; why: string }> {
  const path = join(dir, entry.name);
  if (!entry.isSymbolicLink()) return { path };
  try {
    const real = await realPathInside(root, path);
    return real !== null ? { path: real } : { path: null, why: `${path} is a link to ${await readlink(path)}, outside ${root}; links out of a source folder are not followed` };
  } catch (err) {
    return { path: null, why: `${path} is a link that cannot be resolved (${(err as NodeJS.ErrnoException).code})` };
  }
}

/** The row fields for image `id`: its file, or null with the problem and quarantine reason. */
export function lookupImage(index: ImageIndex, id: string, dirs: readonly string[]): Pick<SourceRow, 'file' | 'problem' | 'reason'> {
  const file = index.files.get(id);
  if (file !== undefined) return { file };
  const refused = index.refused.get(id);
  if (refused !== undefined) return { file: null, problem: refused, reason: 'outside-source' };
  return { file: null, problem: `no ${id}.* in ${dirs.join(', ')}` };
}

/** True when `path` exists and is a folder. */
export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * A CSV source whose rows found no image file at all almost always points at the wrong folder:
 * one clear error instead of thousands of `missing-file` entries.
 */
export function assertSomeFound(kind: string, csv: string, dirs: readonly string[], rows: number, found: number): void {
  if (rows > 0 && found === 0) {
    throw new IngestError(
      `${kind}: none of the ${rows} images named in ${csv} was found in ${dirs.join(', ')}; pass --images with the folder that holds them`,
    );
  }
}

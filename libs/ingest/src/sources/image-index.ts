import { readdir, stat } from 'node:fs/promises';
import { extname, join, basename } from 'node:path';
import { IngestError } from '../errors.ts';

/** Extensions tried in this order when one id has several files (`x.jpg` and `x.png`). */
const PREFERRED = ['.jpg', '.jpeg', '.png', '.tif', '.tiff', '.webp'];

/**
 * Map file stem → path over the files directly inside `dirs` (earlier folders win), so a CSV id
 * such as `ISIC_0015719` finds `ISIC_0015719.jpg`. One readdir per folder instead of a stat per
 * row. Folders that do not exist are skipped; `explicit` folders must exist.
 */
export async function indexImages(dirs: readonly string[], explicit = false): Promise<Map<string, string>> {
  const index = new Map<string, string>();
  for (const dir of dirs) {
    let names: string[];
    try {
      names = await readdir(dir);
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
    names.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
    for (const name of names) {
      if (name.startsWith('.')) continue;
      const stem = basename(name, extname(name));
      if (!index.has(stem)) index.set(stem, join(dir, name));
    }
  }
  return index;
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

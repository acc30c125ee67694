import { readdir } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { IngestError } from '../errors.ts';
import type { Source, SourceRow } from './source.ts';

/**
 * A folder per class: `ROOT/<class>/<image>`. Class names are the sorted sub-folder names (label
 * index = position). Every non-hidden entry of a class folder is a row, so a stray text file or
 * sub-folder is quarantined (not-an-image / unreadable), never silently skipped. There are no
 * patient ids: every image is its own group.
 */
export async function readFolders(path: string): Promise<Source> {
  const root = resolve(path);
  let entries;
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (err) {
    throw new IngestError(`class folder root ${root} cannot be read (${(err as NodeJS.ErrnoException).code})`, { cause: err });
  }
  const labels = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort();
  if (labels.length === 0) {
    throw new IngestError(`${root} has no class sub-folders: a folder source needs ROOT/<class>/<image> (e.g. ROOT/melanoma/a.jpg)`);
  }
  const rows: SourceRow[] = [];
  for (const [label, name] of labels.entries()) {
    const names = (await readdir(join(root, name))).filter((n) => !n.startsWith('.')).sort();
    for (const file of names) {
      rows.push({ id: `${name}/${basename(file, extname(file))}`, patient: '', label, file: join(root, name, file) });
    }
  }
  if (rows.length === 0) throw new IngestError(`${root}: the class folders ${labels.join(', ')} hold no files`);
  return { kind: 'folders', path: root, labels, rows, notes: ['a folder source has no patient ids: every image is its own group'] };
}

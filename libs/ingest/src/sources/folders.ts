import { readdir } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { IngestError } from '../errors.ts';
import { confinedFile } from './image-index.ts';
import type { Source, SourceRow } from './source.ts';

/**
 * A folder per class: `ROOT/<class>/<image>`. Class names are the sorted sub-folder names (label
 * index = position). Every non-hidden entry of a class folder is a row, so a stray text file or
 * sub-folder is quarantined (not-an-image / unreadable), never silently skipped. There are no
 * patient ids: every image is its own group. A link is followed only when it points inside ROOT.
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
    const dir = join(root, name);
    const files = (await readdir(dir, { withFileTypes: true })).filter((f) => !f.name.startsWith('.')).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of files) {
      const id = `${name}/${basename(entry.name, extname(entry.name))}`;
      const file = await confinedFile(dir, entry, root);
      rows.push(file.path !== null ? { id, patient: '', label, file: file.path } : { id, patient: '', label, file: null, problem: file.why, reason: 'outside-source' });
    }
  }
  if (rows.length === 0) throw new IngestError(`${root}: the class folders ${labels.join(', ')} hold no files`);
  return { kind: 'folders', path: root, labels, rows, notes: ['a folder source has no patient ids: every image is its own group'] };
}

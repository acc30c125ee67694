import { resolve } from 'node:path';
import { IngestError } from '../errors.ts';
import { openData } from './csv.ts';
import { DERM_SAMPLE_COLUMNS, readDermSample } from './derm-sample.ts';
import { readFolders } from './folders.ts';
import { HAM10000_COLUMNS, readHam10000 } from './ham10000.ts';
import { isDirectory } from './image-index.ts';
import { ISIC2020_COLUMNS, readIsic2020 } from './isic2020.ts';
import type { Source, SourceKind, SourceOptions } from './source.ts';

/** The columns of a CSV's first line (no quotes handling beyond stripping them; enough for headers). */
async function headerColumns(path: string): Promise<string[]> {
  const fh = await openData(path);
  try {
    const buf = Buffer.alloc(8192);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const first = buf.subarray(0, bytesRead).toString('utf8').replace(/^\uFEFF/, '').split(/\r?\n/)[0] ?? '';
    return first.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
  } finally {
    await fh.close();
  }
}

/**
 * Which source a path is: a folder → folders; a CSV → by its header:
 * image_name + target → isic2020; lesion_id + image_id + dx → ham10000; image_id + target → derm-sample.
 */
export async function detectSource(path: string): Promise<SourceKind> {
  if (await isDirectory(path)) return 'folders';
  const columns = await headerColumns(path);
  const has = (list: readonly string[]) => list.every((c) => columns.includes(c));
  if (has(['image_name', 'target'])) return 'isic2020';
  if (has(['lesion_id', 'image_id', 'dx'])) return 'ham10000';
  if (has(['image_id', 'target'])) return 'derm-sample';
  throw new IngestError(
    `cannot tell what ${path} is from its header (${columns.join(', ')}). Expected ISIC 2020 train.csv ` +
      `(${ISIC2020_COLUMNS.join(', ')}), HAM10000 metadata (${HAM10000_COLUMNS.join(', ')}), derm-sample metadata.csv ` +
      `(${DERM_SAMPLE_COLUMNS.join(', ')}) or a folder per class; or pass --source`,
  );
}

/** Read a source of the given kind ('auto' detects it). */
export async function loadSource(path: string, kind: SourceKind | 'auto' = 'auto', options: SourceOptions = {}): Promise<Source> {
  const abs = resolve(path);
  const resolved = kind === 'auto' ? await detectSource(abs) : kind;
  switch (resolved) {
    case 'isic2020':
      return readIsic2020(abs, options);
    case 'ham10000':
      return readHam10000(abs, options);
    case 'derm-sample':
      return readDermSample(abs, options);
    case 'folders':
      if (options.images !== undefined) throw new IngestError('--images does not apply to a folder source: the images are in the class folders');
      return readFolders(abs);
  }
}

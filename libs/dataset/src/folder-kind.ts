import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { listNames, readJsonObject, type OutputKind } from '@dermagan/safe-io';
import { DATASET_FORMAT } from './manifest.ts';

/** The names a dataset writer gives its shard files. */
export const SHARD_FILE = /^shard-\d{5}\.npy$/;

/**
 * A dermagan dataset folder, recognised by content: manifest.json whose `format` is the dataset
 * format, a `shards/` folder holding only shard files, and nothing else. Only such a folder (or
 * an absent or empty one) may be replaced by ingest or generate.
 */
export const DATASET_FOLDER: OutputKind = {
  title: 'dermagan dataset',
  async foreign(dir, names) {
    const extra = names.filter((n) => n !== 'manifest.json' && n !== 'shards');
    if (extra.length > 0) return `it holds ${listNames(extra)}, which a dermagan dataset does not`;
    const manifest = await readJsonObject(join(dir, 'manifest.json'));
    if (manifest === null) return 'it holds no readable manifest.json';
    if (manifest.format !== DATASET_FORMAT) return `it holds a manifest.json without the format ${DATASET_FORMAT}`;
    if (!names.includes('shards')) return 'it holds manifest.json without shards/';
    const shards = join(dir, 'shards');
    if (!(await lstat(shards)).isDirectory()) return 'it holds shards that is not a folder';
    const files = await readdir(shards, { withFileTypes: true });
    const strange = files.filter((f) => !f.isFile() || !SHARD_FILE.test(f.name)).map((f) => `shards/${f.name}`);
    if (strange.length > 0) return `it holds ${listNames(strange)}, which a dermagan dataset does not`;
    return null;
  },
};

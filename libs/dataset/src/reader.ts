import { constants } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { decodeNpy } from '@dermagan/npy';
import { safeJoin } from '@dermagan/safe-io';
import { z } from 'zod';
import { DatasetManifest, type ImageEntry } from './manifest.ts';

export class DatasetError extends Error {
  override readonly name = 'DatasetError';
}

/** Read and validate `DIR/manifest.json`. */
export async function readManifest(dir: string): Promise<DatasetManifest> {
  const path = join(dir, 'manifest.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new DatasetError(
      `${dir} is not a dermagan dataset: ${path} cannot be read (${(err as NodeJS.ErrnoException).code}). ` +
        `Create one with 'dermagan ingest'.`,
      { cause: err },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new DatasetError(`${path} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  const parsed = DatasetManifest.safeParse(json);
  if (!parsed.success) throw new DatasetError(`${path} is not a dermagan dataset manifest: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

export interface ImageBatch {
  /** uint8 pixels, [n, size, size, 3] row-major (NHWC). */
  pixels: Uint8Array;
  labels: Int32Array;
  entries: ImageEntry[];
  size: number;
}

export interface SelectOptions {
  /** Keep only these splits (default: all). */
  split?: ImageEntry['split'] | ImageEntry['split'][];
  /** Keep only this tenant's images. */
  tenant?: string;
  /** Keep only these labels. */
  labels?: number[];
}

/** The manifest's entries filtered by split / tenant / label, in manifest order. */
export function selectImages(manifest: DatasetManifest, options: SelectOptions = {}): ImageEntry[] {
  const splits = options.split === undefined ? undefined : ([] as string[]).concat(options.split);
  return manifest.images.filter(
    (e) =>
      (splits === undefined || splits.includes(e.split)) &&
      (options.tenant === undefined || e.tenant === options.tenant) &&
      (options.labels === undefined || options.labels.includes(e.label)),
  );
}

/**
 * Load the pixels of the selected images into one contiguous uint8 buffer. Shards are read once
 * each and verified against the manifest's sha256 (a corrupt shard is an error, never silent).
 */
export async function loadImages(dir: string, manifest: DatasetManifest, entries: ImageEntry[]): Promise<ImageBatch> {
  const size = manifest.size;
  const per = size * size * 3;
  const pixels = new Uint8Array(entries.length * per);
  const labels = new Int32Array(entries.length);
  const byShard = new Map<number, number[]>();
  entries.forEach((e, i) => {
    labels[i] = e.label;
    const list = byShard.get(e.shard) ?? [];
    list.push(i);
    byShard.set(e.shard, list);
  });
  for (const [shardIndex, rows] of byShard) {
    const shard = manifest.shards[shardIndex];
    if (!shard) throw new DatasetError(`${dir}: manifest refers to shard ${shardIndex}, which it does not list`);
    const path = safeJoin(dir, shard.file, `${dir}/manifest.json shard ${shardIndex}`);
    const bytes = await readFile(path, { flag: constants.O_RDONLY | constants.O_NOFOLLOW }).catch((err: NodeJS.ErrnoException) => {
      throw new DatasetError(`${dir}: shard ${shard.file} cannot be read (${err.code === 'ELOOP' ? 'it is a link' : err.code})`, { cause: err });
    });
    const hash = createHash('sha256').update(bytes).digest('hex');
    if (hash !== shard.sha256) {
      throw new DatasetError(`${dir}: shard ${shard.file} is corrupt (sha256 ${hash} ≠ manifest ${shard.sha256}); re-ingest or re-download it`);
    }
    const array = decodeNpy(bytes, path);
    if (array.dtype !== 'uint8' || array.shape.length !== 4 || array.shape[1] !== size || array.shape[2] !== size || array.shape[3] !== 3) {
      throw new DatasetError(`${dir}: shard ${shard.file} has ${array.dtype} [${array.shape}], expected uint8 [n, ${size}, ${size}, 3]`);
    }
    for (const i of rows) {
      const e = entries[i]!;
      if (e.index >= array.shape[0]!) throw new DatasetError(`${dir}: image ${e.id} points past the end of ${shard.file}`);
      pixels.set(array.data.subarray(e.index * per, (e.index + 1) * per) as Uint8Array, i * per);
    }
  }
  return { pixels, labels, entries, size };
}

/** Convenience: read the manifest, select, load. */
export async function openDataset(dir: string, options: SelectOptions = {}): Promise<ImageBatch & { manifest: DatasetManifest }> {
  const manifest = await readManifest(dir);
  const entries = selectImages(manifest, options);
  return { ...(await loadImages(dir, manifest, entries)), manifest };
}

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
 * The images a federation tenant trains on. A dataset partitioned into tenants (`ingest --tenants`:
 * a federation simulated on one dataset) gives each tenant its own rows; a hospital's own dataset,
 * not partitioned, is the hospital's whole.
 */
export function tenantImages(manifest: DatasetManifest, tenant: string): Pick<SelectOptions, 'tenant'> {
  return manifest.tenants === null ? {} : { tenant };
}

/**
 * Load the pixels of the selected images into one contiguous uint8 buffer. Shards are read once
 * each and verified against the manifest's sha256 (a corrupt shard is an error, never silent).
 */
export async function loadImages(dir: string, manifest: DatasetManifest, entries: ImageEntry[]): Promise<ImageBatch> {
  return gather(entries, new ShardReader(dir, manifest));
}

/**
 * The images of `entries`, `chunk` at a time and in their order, so that a pass over a large
 * dataset (features of 50k images for FID) holds one chunk and one decoded shard, never the whole
 * set. Entries in manifest order (selectImages, sampleInOrder) read each shard once (a chunk that
 * spans two shards reads the second, which the next chunk starts in); any other order still works,
 * reading shards again. Every shard is verified as loadImages verifies it.
 */
export async function* imageChunks(dir: string, manifest: DatasetManifest, entries: ImageEntry[], chunk = 256): AsyncGenerator<ImageBatch> {
  if (!Number.isInteger(chunk) || chunk < 1) throw new RangeError(`imageChunks: chunk must be a positive integer, got ${chunk}`);
  const shards = new ShardReader(dir, manifest);
  for (let start = 0; start < entries.length; start += chunk) yield await gather(entries.slice(start, start + chunk), shards);
}

/** The pixels of imageChunks alone (what a feature extractor reads). */
export async function* pixelChunks(dir: string, manifest: DatasetManifest, entries: ImageEntry[], chunk = 256): AsyncGenerator<Uint8Array> {
  for await (const part of imageChunks(dir, manifest, entries, chunk)) yield part.pixels;
}

/** Copy each entry's pixels out of its shard (shards visited in the order the entries first name them). */
async function gather(entries: ImageEntry[], shards: ShardReader): Promise<ImageBatch> {
  const size = shards.manifest.size;
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
    const { data, count, file } = await shards.get(shardIndex);
    for (const i of rows) {
      const e = entries[i]!;
      if (e.index >= count) throw new DatasetError(`${shards.dir}: image ${e.id} points past the end of ${file}`);
      pixels.set(data.subarray(e.index * per, (e.index + 1) * per), i * per);
    }
  }
  return { pixels, labels, entries, size };
}

interface Shard {
  index: number;
  data: Uint8Array;
  count: number;
  file: string;
}

/** Decoded, verified shards, the last one read kept (asked again, it is not read again). */
class ShardReader {
  private last: Shard | null = null;

  constructor(readonly dir: string, readonly manifest: DatasetManifest) {}

  async get(index: number): Promise<Shard> {
    if (this.last?.index !== index) {
      this.last = null; // let the previous shard go before the next is read
      this.last = await this.read(index);
    }
    return this.last;
  }

  private async read(index: number): Promise<Shard> {
    const { dir, manifest } = this;
    const size = manifest.size;
    const shard = manifest.shards[index];
    if (!shard) throw new DatasetError(`${dir}: manifest refers to shard ${index}, which it does not list`);
    const path = safeJoin(dir, shard.file, `${dir}/manifest.json shard ${index}`);
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
    return { index, data: array.data as Uint8Array, count: array.shape[0]!, file: shard.file };
  }
}

/** Convenience: read the manifest, select, load. */
export async function openDataset(dir: string, options: SelectOptions = {}): Promise<ImageBatch & { manifest: DatasetManifest }> {
  const manifest = await readManifest(dir);
  const entries = selectImages(manifest, options);
  return { ...(await loadImages(dir, manifest, entries)), manifest };
}

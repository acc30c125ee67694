import { createHash } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { npyHeader, writeNpy } from '@dermagan/npy';
import { checkOutputFolder } from '@dermagan/safe-io';
import { DATASET_FOLDER } from './folder-kind.ts';
import { DATASET_FORMAT, DatasetManifest, type ImageEntry, type QuarantineEntry, type ShardEntry } from './manifest.ts';
import { DatasetError } from './reader.ts';

/**
 * Writes a dataset folder (manifest.json + shards/shard-NNNNN.npy) one image at a time: ingest
 * appends real images, the generator appends synthetic ones. Pixels go into the current shard
 * buffer and each full shard is written atomically, so memory stays at one shard whatever the
 * dataset size. Per-image channel sums are kept so the manifest's mean/std can be computed over
 * the final train (or 'all') images, whose split may be decided only after every image is in.
 *
 *   const writer = await DatasetWriter.create({ dir, size: 256 });
 *   for (...) await writer.append(pixels, { id, patient, label, sha256 });
 *   const manifest = await writer.finish({ name, labels, source, split, tenants, placement });
 */
export interface DatasetWriterOptions {
  /**
   * Output folder; created if missing. It must be absent, empty or a dataset (and nothing else),
   * whose shard files of the same names are replaced; anything else is an OutputRefusedError.
   * To replace a dataset as a whole, write into `createStagingFolder` and `replaceFolder` it.
   */
  dir: string;
  /** Side of the square images in pixels; every appended image is size×size×3 uint8. */
  size: number;
  /** Images per shard file (default 512: ~100 MB at 256², ~6 MB at 64²). */
  shardSize?: number;
}

/** What is known about an image when its pixels are appended. */
export interface AppendEntry {
  /** Source or generated id. */
  id: string;
  /** Patient id (non-empty; use the id for images without a patient). */
  patient: string;
  /** Class index into the labels given to finish(). */
  label: number;
  /** SHA-256 of the image's source bytes (for generated images: of their encoded pixels). */
  sha256: string;
  /** Split, when already known (default 'all'; finish()'s `placement` overrides). */
  split?: ImageEntry['split'];
  /** Tenant, when already known (default null; finish()'s `placement` overrides). */
  tenant?: string | null;
}

/** Dataset-level facts written into the manifest by finish(). */
export interface FinishInfo {
  /** Free-form dataset name. */
  name: string;
  /** Class names by index. */
  labels: string[];
  source: DatasetManifest['source'];
  split: DatasetManifest['split'];
  tenants: DatasetManifest['tenants'];
  /** Rejected inputs (ingest); default none. */
  quarantine?: QuarantineEntry[];
  /** Final split and tenant per appended image (append order); undefined = as given to append(). */
  placement?: ReadonlyArray<{ split: ImageEntry['split']; tenant: string | null }>;
  /** ISO timestamp; default now. */
  createdAt?: string;
}

const SHA256 = /^[0-9a-f]{64}$/;

/** SHA-256 over the dataset's content: size, label names and the sorted (image sha256, label) pairs. */
export function datasetFingerprint(size: number, labels: readonly string[], images: ReadonlyArray<Pick<ImageEntry, 'sha256' | 'label'>>): string {
  const hash = createHash('sha256').update(`${DATASET_FORMAT}\nsize ${size}\nlabels ${JSON.stringify(labels)}\n`);
  const lines = images.map((e) => `${e.sha256} ${e.label}\n`).sort();
  for (const line of lines) hash.update(line);
  return hash.digest('hex');
}

export class DatasetWriter {
  readonly dir: string;
  readonly size: number;
  readonly shardSize: number;
  private readonly perImage: number;
  private buffer: Uint8Array;
  private inBuffer = 0;
  private readonly shards: ShardEntry[] = [];
  private readonly entries: ImageEntry[] = [];
  /** Per image: sum of R, G, B and sum of squares (integers, exact in float64). */
  private readonly sums: number[][] = [];
  private finished = false;

  private constructor(options: Required<DatasetWriterOptions>) {
    this.dir = options.dir;
    this.size = options.size;
    this.shardSize = options.shardSize;
    this.perImage = options.size * options.size * 3;
    this.buffer = new Uint8Array(this.perImage * Math.min(this.shardSize, 64));
  }

  static async create(options: DatasetWriterOptions): Promise<DatasetWriter> {
    const { dir, size, shardSize = 512 } = options;
    if (!Number.isInteger(size) || size < 1) throw new DatasetError(`DatasetWriter: size must be a positive integer, got ${size}`);
    if (!Number.isInteger(shardSize) || shardSize < 1) throw new DatasetError(`DatasetWriter: shardSize must be a positive integer, got ${shardSize}`);
    await checkOutputFolder(dir, DATASET_FOLDER);
    await mkdir(join(dir, 'shards'), { recursive: true });
    return new DatasetWriter({ dir, size, shardSize });
  }

  /** Images appended so far. */
  get count(): number {
    return this.entries.length;
  }

  /** Append one image (uint8 RGB, [size, size, 3]); returns its index in append order. */
  async append(pixels: Uint8Array, entry: AppendEntry): Promise<number> {
    if (this.finished) throw new DatasetError('DatasetWriter.append: the writer is finished');
    if (pixels.length !== this.perImage) {
      throw new DatasetError(`DatasetWriter.append(${entry.id}): expected ${this.size}×${this.size}×3 = ${this.perImage} bytes, got ${pixels.length}`);
    }
    if (!Number.isInteger(entry.label) || entry.label < 0) throw new DatasetError(`DatasetWriter.append(${entry.id}): label must be an integer ≥ 0, got ${entry.label}`);
    if (!SHA256.test(entry.sha256)) throw new DatasetError(`DatasetWriter.append(${entry.id}): sha256 must be 64 lower-case hex characters`);
    if (entry.id === '' || entry.patient === '') throw new DatasetError(`DatasetWriter.append: id and patient must be non-empty (got "${entry.id}", "${entry.patient}")`);

    // Grow the shard buffer geometrically up to one shard.
    if ((this.inBuffer + 1) * this.perImage > this.buffer.length) {
      const grown = new Uint8Array(Math.min(this.buffer.length * 2, this.perImage * this.shardSize));
      grown.set(this.buffer.subarray(0, this.inBuffer * this.perImage));
      this.buffer = grown;
    }
    this.buffer.set(pixels, this.inBuffer * this.perImage);
    const s = [0, 0, 0, 0, 0, 0];
    for (let i = 0; i < pixels.length; i += 3) {
      const r = pixels[i]!, g = pixels[i + 1]!, b = pixels[i + 2]!;
      s[0]! += r; s[1]! += g; s[2]! += b;
      s[3]! += r * r; s[4]! += g * g; s[5]! += b * b;
    }
    this.sums.push(s);
    const index = this.entries.length;
    this.entries.push({
      id: entry.id,
      patient: entry.patient,
      label: entry.label,
      split: entry.split ?? 'all',
      tenant: entry.tenant ?? null,
      sha256: entry.sha256,
      shard: this.shards.length,
      index: this.inBuffer,
    });
    this.inBuffer++;
    if (this.inBuffer === this.shardSize) await this.flush();
    return index;
  }

  /** Write the current shard (if it holds any image) atomically and record its hash. */
  private async flush(): Promise<void> {
    if (this.inBuffer === 0) return;
    const file = `shards/shard-${String(this.shards.length).padStart(5, '0')}.npy`;
    const shape = [this.inBuffer, this.size, this.size, 3];
    const data = this.buffer.subarray(0, this.inBuffer * this.perImage);
    const sha256 = createHash('sha256').update(npyHeader('uint8', shape)).update(data).digest('hex');
    await writeNpy(join(this.dir, file), { dtype: 'uint8', shape, data });
    this.shards.push({ file, count: this.inBuffer, sha256 });
    this.inBuffer = 0;
  }

  /** Write the last shard and manifest.json (atomically) and return the manifest. */
  async finish(info: FinishInfo): Promise<DatasetManifest> {
    if (this.finished) throw new DatasetError('DatasetWriter.finish: already finished');
    if (info.placement !== undefined && info.placement.length !== this.entries.length) {
      throw new DatasetError(`DatasetWriter.finish: placement has ${info.placement.length} entries for ${this.entries.length} images`);
    }
    const bad = this.entries.find((e) => e.label >= info.labels.length);
    if (bad) throw new DatasetError(`DatasetWriter.finish: image ${bad.id} has label ${bad.label} but only ${info.labels.length} labels are named`);
    await this.flush();
    this.finished = true;

    const images = this.entries.map((e, i) => (info.placement ? { ...e, ...info.placement[i] } : e));
    const manifest = DatasetManifest.parse({
      format: DATASET_FORMAT,
      name: info.name,
      createdAt: info.createdAt ?? new Date().toISOString(),
      size: this.size,
      labels: info.labels,
      source: info.source,
      split: info.split,
      tenants: info.tenants,
      stats: this.stats(images),
      fingerprint: datasetFingerprint(this.size, info.labels, images),
      shards: this.shards,
      images,
      quarantine: info.quarantine ?? [],
    });
    const path = join(this.dir, 'manifest.json');
    const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
    await writeFile(tmp, `${JSON.stringify(manifest, null, 1)}\n`);
    await rename(tmp, path);
    return manifest;
  }

  /** Per-channel mean and (population) std in [0, 1] over the train images, or 'all' ones, or every image. */
  private stats(images: readonly ImageEntry[]): DatasetManifest['stats'] {
    let chosen = images.map((_, i) => i).filter((i) => images[i]!.split === 'train' || images[i]!.split === 'all');
    if (chosen.length === 0) chosen = images.map((_, i) => i);
    if (chosen.length === 0) return { mean: [0, 0, 0], std: [0, 0, 0] };
    const total = [0, 0, 0, 0, 0, 0];
    for (const i of chosen) for (let k = 0; k < 6; k++) total[k]! += this.sums[i]![k]!;
    const n = chosen.length * this.size * this.size;
    const mean = [0, 1, 2].map((c) => total[c]! / n / 255);
    // Variance from exact integer sums: (n·Σx² − (Σx)²) / n², in BigInt so nothing cancels.
    const std = [0, 1, 2].map((c) => {
      const numerator = BigInt(n) * BigInt(total[c + 3]!) - BigInt(total[c]!) ** 2n;
      return Math.sqrt(Number(numerator) / (n * n)) / 255;
    });
    return { mean, std };
  }
}

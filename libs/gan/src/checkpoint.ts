/**
 * Checkpoint files: `checkpoint.json` (everything that is not a tensor: config, counters, RNG and
 * augment-pipe state, ADA, pl_mean, dataset fingerprint, backend, DERMAGAN_VERSION) and
 * `tensors.bin` (float32 little-endian, concatenated; the JSON's `tensors` index gives name, shape
 * and offset, and the sha256 of the file so a torn write is detected).
 *
 * Where the files go is a `CheckpointSink`: a folder here (atomic replace, so the last good
 * checkpoint survives a crash mid-write), a store-backed sink elsewhere.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { checkOutputFolder, listNames, readJsonObject, type OutputKind } from '@dermagan/safe-io';

export const CHECKPOINT_FORMAT = 'dermagan.gan-checkpoint/v1';
export const META_FILE = 'checkpoint.json';
export const TENSORS_FILE = 'tensors.bin';

/** A checkpoint as named files. */
export type CheckpointFiles = Map<string, Uint8Array>;

/** Where checkpoints are written and read; `save` must replace the previous one atomically. */
export interface CheckpointSink {
  /** Human-readable location (for logs and provenance). */
  readonly location: string;
  save(files: CheckpointFiles): Promise<void>;
  load(): Promise<CheckpointFiles>;
}

export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
  readonly retriable = false;
}

export interface TensorIndexEntry {
  name: string;
  shape: number[];
  /** Offset in float32 elements. */
  offset: number;
}

/** Everything in `checkpoint.json` apart from the tensor index (filled by the trainer). */
export type CheckpointMeta = Record<string, unknown> & { format: typeof CHECKPOINT_FORMAT };

export interface NamedArray {
  shape: number[];
  data: Float32Array;
}

/** Encode metadata and named float32 arrays into checkpoint files. */
export function encodeCheckpoint(meta: CheckpointMeta, arrays: Map<string, NamedArray>): CheckpointFiles {
  let total = 0;
  for (const a of arrays.values()) total += a.data.length;
  const all = new Float32Array(total);
  const index: TensorIndexEntry[] = [];
  let offset = 0;
  for (const [name, a] of arrays) {
    const n = a.shape.reduce((x, y) => x * y, 1);
    if (n !== a.data.length) throw new CheckpointError(`encodeCheckpoint: ${name} has ${a.data.length} values for shape [${a.shape}]`);
    all.set(a.data, offset);
    index.push({ name, shape: a.shape, offset });
    offset += n;
  }
  const bin = new Uint8Array(all.buffer);
  const sha256 = createHash('sha256').update(bin).digest('hex');
  const json = JSON.stringify({ ...meta, tensors: { file: TENSORS_FILE, sha256, index } }, null, 1);
  return new Map([
    [META_FILE, new TextEncoder().encode(json)],
    [TENSORS_FILE, bin],
  ]);
}

/** Decode checkpoint files; verifies the format and the tensors' hash. */
export function decodeCheckpoint(files: CheckpointFiles, where: string): { meta: CheckpointMeta; arrays: Map<string, NamedArray> } {
  const metaBytes = files.get(META_FILE);
  const bin = files.get(TENSORS_FILE);
  if (!metaBytes || !bin) throw new CheckpointError(`${where}: not a dermagan GAN checkpoint (needs ${META_FILE} and ${TENSORS_FILE})`);
  const meta = JSON.parse(new TextDecoder().decode(metaBytes)) as CheckpointMeta & {
    tensors: { sha256: string; index: TensorIndexEntry[] };
  };
  if (meta.format !== CHECKPOINT_FORMAT) throw new CheckpointError(`${where}: checkpoint format "${String(meta.format)}", expected "${CHECKPOINT_FORMAT}"`);
  const sha256 = createHash('sha256').update(bin).digest('hex');
  if (sha256 !== meta.tensors.sha256) throw new CheckpointError(`${where}: ${TENSORS_FILE} is corrupt (sha256 ${sha256} ≠ ${meta.tensors.sha256})`);
  const aligned = new Float32Array(bin.byteLength / 4);
  new Uint8Array(aligned.buffer).set(bin);
  const arrays = new Map<string, NamedArray>();
  for (const e of meta.tensors.index) {
    const n = e.shape.reduce((x, y) => x * y, 1);
    arrays.set(e.name, { shape: e.shape, data: aligned.subarray(e.offset, e.offset + n) });
  }
  return { meta, arrays };
}

/** A GAN checkpoint folder: checkpoint.json with the checkpoint format, tensors.bin, nothing else. */
export const GAN_CHECKPOINT_FOLDER: OutputKind = {
  title: 'dermagan GAN checkpoint',
  async foreign(dir, names) {
    const extra = names.filter((n) => n !== META_FILE && n !== TENSORS_FILE);
    if (extra.length > 0) return `it holds ${listNames(extra)}, which a checkpoint does not`;
    const meta = await readJsonObject(join(dir, META_FILE));
    return meta?.format === CHECKPOINT_FORMAT ? null : `it holds no ${META_FILE} of the format ${CHECKPOINT_FORMAT}`;
  },
};

/**
 * A checkpoint folder, replaced atomically: written beside it, then renamed over it. The folder
 * replaced must be a checkpoint (GAN_CHECKPOINT_FOLDER), absent or empty; anything else is refused.
 */
export class FolderCheckpointSink implements CheckpointSink {
  constructor(readonly location: string) {}

  async save(files: CheckpointFiles): Promise<void> {
    await checkOutputFolder(this.location, GAN_CHECKPOINT_FOLDER);
    const parent = dirname(this.location);
    await mkdir(parent, { recursive: true });
    const staging = `${this.location}.tmp-${randomBytes(4).toString('hex')}`;
    const old = `${this.location}.old-${randomBytes(4).toString('hex')}`;
    await mkdir(staging);
    for (const [name, bytes] of files) await writeFile(join(staging, name), bytes);
    let hadOld = true;
    await rename(this.location, old).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
      hadOld = false;
    });
    await rename(staging, this.location);
    if (hadOld) await rm(old, { recursive: true, force: true });
  }

  async load(): Promise<CheckpointFiles> {
    let names: string[];
    try {
      names = await readdir(this.location);
    } catch (err) {
      throw new CheckpointError(`${this.location}: no checkpoint here (${(err as NodeJS.ErrnoException).code}); pass the folder a training run wrote (OUT/checkpoint)`, { cause: err });
    }
    const files: CheckpointFiles = new Map();
    for (const name of names) files.set(name, new Uint8Array(await readFile(join(this.location, name))));
    return files;
  }
}

/** In memory (tests, federated rounds). */
export class MemoryCheckpointSink implements CheckpointSink {
  readonly location = 'memory';
  private files: CheckpointFiles | undefined;
  async save(files: CheckpointFiles): Promise<void> {
    this.files = new Map([...files].map(([k, v]) => [k, v.slice()]));
  }
  async load(): Promise<CheckpointFiles> {
    if (!this.files) throw new CheckpointError('MemoryCheckpointSink: nothing saved yet');
    return new Map([...this.files].map(([k, v]) => [k, v.slice()]));
  }
}

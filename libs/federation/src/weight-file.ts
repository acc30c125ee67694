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

/** A contiguous run of one tensor's values (C order). */
export interface TensorSlice {
  name: string;
  shape: number[];
  /** Index of the slice's first value within the tensor. */
  offset: number;
  data: Float32Array;
}

/** A destination for tensors written in header order, whole or in consecutive slices. */
export interface TensorSink {
  /** Append the next tensor (must match the header's next name and shape). Do not mutate `data` afterwards. */
  write(tensor: NamedTensor): Promise<void>;
  /** Append the next slice: the current tensor's values from `offset` (each tensor's slices in order, no gaps). */
  writeSlice(slice: TensorSlice): Promise<void>;
  /** Finish: checks every tensor was written; returns the hash and size of the bytes. */
  close(): Promise<WrittenWeights>;
  /** Abandon the write (removes partial files). */
  abort(): Promise<void>;
}

/** A weight set being read tensor by tensor. */
export interface WeightStream extends AsyncIterable<NamedTensor> {
  /** The schema and scalars, available before any tensor is read. */
  readonly header: WeightHeader;
  /** The next whole tensor in header order, or null after the last one (only at a tensor boundary). */
  next(): Promise<NamedTensor | null>;
  /** The next at most `maxValues` values of the current tensor (never crossing into the next one), or null at the end. */
  nextSlice(maxValues: number): Promise<TensorSlice | null>;
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

  /**
   * Exactly n bytes in a fresh, 4-byte-aligned buffer. Chunks are copied into it as they arrive,
   * so a tensor is held once (plus one chunk), not as a list of chunks and then a copy.
   */
  async read(n: number): Promise<Uint8Array> {
    const out = new Uint8Array(new ArrayBuffer(n));
    let at = 0;
    while (at < n) {
      if (this.chunks.length === 0 && !(await this.fill(1))) {
        throw new WeightsError(`${this.what}: truncated weight file: needed ${n - at} more bytes at offset ${this.consumed + at}`);
      }
      const head = this.chunks[0]!;
      const take = Math.min(head.length, n - at);
      out.set(head.subarray(0, take), at);
      at += take;
      this.buffered -= take;
      if (take === head.length) this.chunks.shift();
      else this.chunks[0] = head.subarray(take);
    }
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
  let pos = 0;
  let closed = false;
  const stream: WeightStream = {
    header,
    async nextSlice(maxValues) {
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
      const size = sizeOf(spec.shape);
      const take = Math.min(Math.max(1, maxValues), size - pos);
      const bytes = await reader.read(take * 4);
      const slice = { name: spec.name, shape: [...spec.shape], offset: pos, data: new Float32Array(bytes.buffer, 0, take) };
      pos += take;
      if (pos >= size) {
        index += 1;
        pos = 0;
      }
      return slice;
    },
    async next() {
      if (pos !== 0) throw new WeightsError(`${what}: next() called in the middle of tensor ${header.tensors[index]?.name}`);
      const slice = await stream.nextSlice(Infinity);
      return slice && { name: slice.name, shape: slice.shape, data: slice.data };
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

/** A stream over an in-memory set (no copy: slices are views). */
export function memoryStream(set: WeightSet): WeightStream {
  const header = headerOf(set);
  let index = 0;
  let pos = 0;
  const stream: WeightStream = {
    header,
    async nextSlice(maxValues) {
      const t = set.tensors[index];
      if (!t) return null;
      const take = Math.min(Math.max(1, maxValues), t.data.length - pos);
      const slice = { name: t.name, shape: [...t.shape], offset: pos, data: t.data.subarray(pos, pos + take) };
      pos += take;
      if (pos >= t.data.length) {
        index += 1;
        pos = 0;
      }
      return slice;
    },
    async next() {
      if (pos !== 0) throw new WeightsError(`memoryStream: next() called in the middle of tensor ${set.tensors[index]?.name}`);
      return set.tensors[index++] ?? null;
    },
    async close() {
      index = set.tensors.length;
      pos = 0;
    },
    async *[Symbol.asyncIterator]() {
      for (let t = await stream.next(); t; t = await stream.next()) yield t;
    },
  };
  return stream;
}

/**
 * Tracks a sink's position (tensor index, offset within it) and checks each slice continues it.
 * `accept` returns true when the slice completes its tensor.
 */
class SliceCursor {
  index = 0;
  pos = 0;
  constructor(
    private readonly header: WeightHeader,
    private readonly what: string,
  ) {}

  accept(slice: TensorSlice): boolean {
    const spec = this.header.tensors[this.index];
    const size = spec ? sizeOf(spec.shape) : 0;
    if (!spec || spec.name !== slice.name || spec.shape.join(',') !== slice.shape.join(',') || slice.offset !== this.pos || this.pos + slice.data.length > size) {
      throw new WeightsError(
        `${this.what}: got ${slice.name} [${slice.shape}] values ${slice.offset}..${slice.offset + slice.data.length}; the header expects ${spec ? `${spec.name} [${spec.shape}] from value ${this.pos} (of ${size})` : 'no more tensors'}`,
      );
    }
    this.pos += slice.data.length;
    if (this.pos < size) return false;
    this.index += 1;
    this.pos = 0;
    return true;
  }

  assertDone(): void {
    if (this.index !== this.header.tensors.length) {
      throw new WeightsError(`${this.what}: closed after ${this.index} of ${this.header.tensors.length} tensors`);
    }
  }
}

function wholeSlice(t: NamedTensor, what: string): TensorSlice {
  if (t.data.length !== sizeOf(t.shape)) throw new WeightsError(`${what}: tensor ${t.name} [${t.shape}] has ${t.data.length} values, expected ${sizeOf(t.shape)}`);
  return { name: t.name, shape: t.shape, offset: 0, data: t.data };
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
  const cursor = new SliceCursor(header, what);
  let size = 0;
  let started = false;
  const push = async (buf: Buffer): Promise<void> => {
    hash.update(buf);
    size += buf.length;
    if (!out.write(buf)) await once(out, 'drain');
  };
  const sink: TensorSink = {
    async writeSlice(slice) {
      if (!started) {
        started = true;
        await push(head);
      }
      cursor.accept(slice);
      if (slice.data.length > 0) await push(bytesOf(slice.data));
    },
    write: (t) => sink.writeSlice(wholeSlice(t, what)),
    async close() {
      if (!started) {
        started = true;
        await push(head);
      }
      cursor.assertDone();
      const finished = once(out, 'finish');
      out.end();
      await finished;
      return { sha256: hash.digest('hex'), size };
    },
    async abort() {
      out.destroy();
    },
  };
  return sink;
}

/** A sink writing a weight file atomically: a temp file renamed into place on close. */
export function fileSink(path: string, header: WeightHeader): TensorSink {
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  const out = createWriteStream(tmp);
  const sink = writableSink(header, out, path);
  return {
    write: (t) => sink.write(t),
    writeSlice: (slice) => sink.writeSlice(slice),
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
  const cursor = new SliceCursor(header, 'memorySink');
  hash.update(head);
  let size = head.length;
  let current: Float32Array | null = null;
  let closed = false;
  const sink: TensorSink & { result(): WeightSet } = {
    async writeSlice(slice) {
      const whole = slice.offset === 0 && slice.data.length === sizeOf(slice.shape);
      const done = cursor.accept(slice);
      if (whole) current = slice.data;
      else {
        if (slice.offset === 0) current = new Float32Array(sizeOf(slice.shape));
        current!.set(slice.data, slice.offset);
      }
      hash.update(bytesOf(slice.data));
      size += slice.data.byteLength;
      if (done) {
        tensors.push({ name: slice.name, shape: [...slice.shape], data: current! });
        current = null;
      }
    },
    write: (t) => sink.writeSlice(wholeSlice(t, 'memorySink')),
    async close() {
      cursor.assertDone();
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
  return sink;
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

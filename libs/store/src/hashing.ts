import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Readable, Transform, type TransformCallback } from 'node:stream';

/** Lower-case hex SHA-256 of whole bytes. */
export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A pass-through that hashes and counts the bytes flowing through it. */
export class HashingStream extends Transform {
  private readonly hash: Hash = createHash('sha256');
  /** Bytes seen so far. */
  size = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    callback(null, chunk);
  }

  /** The hex digest; call once, after the stream has ended. */
  digest(): string {
    return this.hash.digest('hex');
  }
}

/**
 * A pass-through that hashes the bytes and, at the end, calls `check(sha256, size)`: when that
 * returns an Error, the stream errors with it instead of ending, so a consumer never sees a clean
 * end of stream for bytes that do not verify. `check` may be async (e.g. to re-read a sidecar).
 */
export class VerifyingStream extends Transform {
  private readonly hashing = createHash('sha256');
  private size = 0;

  constructor(private readonly check: (sha256: string, size: number) => Error | null | Promise<Error | null>) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hashing.update(chunk);
    this.size += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    Promise.resolve()
      .then(() => this.check(this.hashing.digest('hex'), this.size))
      .then((err) => callback(err ?? null), (err: unknown) => callback(err as Error));
  }
}

/** Turns a put body (bytes, string or stream) into a stream. */
export function toReadable(body: Readable | Uint8Array | string): Readable {
  if (body instanceof Readable) return body;
  if (typeof body === 'string' || body instanceof Uint8Array) return bytesToReadable(toBuffer(body));
  throw new TypeError(`put: body must be a Readable, Uint8Array or string, got ${typeof body}`);
}

/**
 * The put body as a stream the store now owns: an error it emits before the store starts reading
 * (while the store checks the bucket, say) is kept on the stream (`errored`) and surfaces when the
 * store reads it, instead of crashing the process as an unhandled 'error' event.
 */
export function adoptSource(body: Readable | Uint8Array | string): Readable {
  const source = toReadable(body);
  source.on('error', () => undefined);
  return source;
}

/** Bytes or a string as a Buffer (no copy for Uint8Array). */
export function toBuffer(body: Uint8Array | string): Buffer {
  return typeof body === 'string' ? Buffer.from(body) : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

/** A byte stream (not object mode) over one buffer. */
export function bytesToReadable(bytes: Buffer): Readable {
  return Readable.from(bytes.length > 0 ? [bytes] : [], { objectMode: false });
}

/** Reads a whole stream into one Buffer (for small objects: getBytes). */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** sha256 and size of a file, streamed. */
export async function sha256OfFile(path: string): Promise<{ sha256: string; size: number }> {
  const hashing = new HashingStream();
  await pipeline(createReadStream(path), hashing, async (source: AsyncIterable<Buffer>) => {
    for await (const _ of source); // drain: the hash is what is wanted
  });
  return { sha256: hashing.digest(), size: hashing.size };
}
